"""Which webhook targets an agency may name: no loopback, private, link-local or metadata ones.

A webhook URL is a request our cluster makes on an outsider's behalf, so an unchecked one would
let any county operator reach whatever the cluster reaches (server-side request forgery). The
rules, pure and in one place, are applied twice: to the URL when an agency is registered, and
to every address its host name resolves to when a delivery is sent (`deliveries/sending.py`).

Refused: any scheme but http and https, user information in the URL, and addresses that are
unspecified, loopback, private (RFC 1918, IPv6 unique-local and site-local), carrier-grade NAT
(100.64.0.0/10), link-local, multicast, reserved or for documentation, and the cloud metadata
endpoints. IPv6 forms that carry an IPv4 address (IPv4-mapped, NAT64, 6to4) are judged by that
address, and IPv4 literals are read the way resolvers read them (`2130706433`, `0x7f.1`,
`0177.0.0.1`, `127.1` are all 127.0.0.1).

A deployment permits specific internal targets by host name or network (the allow-list);
dev and test modes permit loopback. Metadata endpoints are refused whatever the allow-list
says: no agency's webhook lives there.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import SplitResult, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class AddressClass(StrEnum):
    """Why an address is not a public one."""

    UNSPECIFIED = "unspecified"
    LOOPBACK = "loopback"
    PRIVATE = "private"
    SHARED = "shared"
    LINK_LOCAL = "link_local"
    MULTICAST = "multicast"
    RESERVED = "reserved"
    METADATA = "metadata"


LABELS: dict[AddressClass, tuple[str, str]] = {
    AddressClass.UNSPECIFIED: ("未指定地址", "an unspecified address"),
    AddressClass.LOOPBACK: ("本机回环地址", "a loopback address"),
    AddressClass.PRIVATE: ("内网地址", "a private address"),
    AddressClass.SHARED: ("运营商级 NAT 地址", "a carrier-grade NAT address"),
    AddressClass.LINK_LOCAL: ("链路本地地址", "a link-local address"),
    AddressClass.MULTICAST: ("组播地址", "a multicast address"),
    AddressClass.RESERVED: ("保留地址", "a reserved address"),
    AddressClass.METADATA: ("云平台元数据地址", "a cloud metadata endpoint"),
}

# Instance metadata services: AWS, GCP, Azure, Huawei, OpenStack (169.254.169.254), AWS over
# IPv6, AWS ECS task metadata, Alibaba Cloud, Tencent Cloud, Oracle Cloud.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",
        "fd00:ec2::254",
        "169.254.170.2",
        "100.100.100.200",
        "169.254.0.23",
        "192.0.0.192",
    )
)
METADATA_NAMES = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.tencentyun.com",
        "metadata.azure.internal",
    }
)
# Names every resolver answers with a loopback address (RFC 6761; Debian's /etc/hosts).
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


def _table(
    entries: Iterable[tuple[str, AddressClass]],
) -> tuple[tuple[IPNetwork, AddressClass], ...]:
    return tuple((ipaddress.ip_network(net), cls) for net, cls in entries)


# First match wins. Written out rather than taken from `ipaddress.is_private` and friends,
# whose meaning has changed between Python releases.
IPV4_TABLE = _table(
    [
        ("0.0.0.0/8", AddressClass.UNSPECIFIED),  # "this network"; 0.0.0.0 reaches the host
        ("10.0.0.0/8", AddressClass.PRIVATE),
        ("100.64.0.0/10", AddressClass.SHARED),
        ("127.0.0.0/8", AddressClass.LOOPBACK),
        ("169.254.0.0/16", AddressClass.LINK_LOCAL),
        ("172.16.0.0/12", AddressClass.PRIVATE),
        ("192.0.0.0/24", AddressClass.RESERVED),  # IETF protocol assignments
        ("192.0.2.0/24", AddressClass.RESERVED),  # documentation
        ("192.88.99.0/24", AddressClass.RESERVED),  # 6to4 relays (deprecated)
        ("192.168.0.0/16", AddressClass.PRIVATE),
        ("198.18.0.0/15", AddressClass.RESERVED),  # benchmarking
        ("198.51.100.0/24", AddressClass.RESERVED),  # documentation
        ("203.0.113.0/24", AddressClass.RESERVED),  # documentation
        ("224.0.0.0/4", AddressClass.MULTICAST),
        ("240.0.0.0/4", AddressClass.RESERVED),  # including 255.255.255.255
    ]
)
IPV6_TABLE = _table(
    [
        ("::/128", AddressClass.UNSPECIFIED),
        ("::1/128", AddressClass.LOOPBACK),
        ("64:ff9b:1::/48", AddressClass.PRIVATE),  # local-use NAT64
        ("100::/64", AddressClass.RESERVED),  # discard-only
        ("2001::/23", AddressClass.RESERVED),  # IETF protocol assignments, Teredo
        ("2001:db8::/32", AddressClass.RESERVED),  # documentation
        ("3fff::/20", AddressClass.RESERVED),  # documentation
        ("fc00::/7", AddressClass.PRIVATE),  # unique local
        ("fe80::/10", AddressClass.LINK_LOCAL),
        ("fec0::/10", AddressClass.PRIVATE),  # site-local (deprecated)
        ("ff00::/8", AddressClass.MULTICAST),
    ]
)
HOST_NAME = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?\.?")
GLOBAL_UNICAST_V6 = ipaddress.ip_network("2000::/3")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """Return the IPv4 address an IPv6 address stands for (mapped, NAT64, 6to4), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64 or address in IPV4_TRANSLATED:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    return None


def unwrap(address: IPAddress) -> IPAddress:
    """Return the IPv4 address inside an IPv6 form of one, else the address itself."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None:
            return inner
        if address.scope_id:
            return ipaddress.IPv6Address(str(address).split("%", 1)[0])
    return address


def classify(address: IPAddress) -> AddressClass | None:
    """Tell why `address` is not public, or None when it is an ordinary public address."""
    address = unwrap(address)
    if address in METADATA_ADDRESSES:
        return AddressClass.METADATA
    table = IPV4_TABLE if isinstance(address, ipaddress.IPv4Address) else IPV6_TABLE
    for network, address_class in table:
        if address in network:
            return address_class
    if isinstance(address, ipaddress.IPv6Address) and address not in GLOBAL_UNICAST_V6:
        return AddressClass.RESERVED
    return None


def _ipv4_part(part: str) -> int | None:
    if part[:2].lower() == "0x":
        digits, base = part[2:], 16
    elif len(part) > 1 and part.startswith("0"):
        digits, base = part[1:], 8
    else:
        digits, base = part, 10
    if not digits:
        return 0 if base == 16 else None
    try:
        return int(digits, base) if digits.isalnum() and digits.isascii() else None
    except ValueError:
        return None


def parse_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """Read an IPv4 literal as resolvers do (1 to 4 parts, decimal, octal or hex), or None."""
    parts = host.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    if not 1 <= len(parts) <= 4:
        return None
    numbers = [_ipv4_part(part) for part in parts]
    if any(n is None for n in numbers):
        return None
    *leading, last = [n for n in numbers if n is not None]
    if any(n > 255 for n in leading) or last >= 256 ** (5 - len(parts)):
        return None
    value = last
    for index, number in enumerate(leading):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def parse_address(host: str) -> IPAddress | None:
    """Return the address a URL host is a literal of (IPv6 without brackets), or None."""
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            return None
    return parse_ipv4(host)


def normalise_host(host: str) -> str:
    """Lower-case a host name and drop the trailing dot of a fully qualified one."""
    return host.lower().removesuffix(".")


class TargetRefused(Exception):
    """A webhook target the policy does not permit, with the reason in both languages."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en


@dataclass(frozen=True)
class Target:
    """The parts of a checked webhook URL that sending needs."""

    scheme: str
    host: str  # normalised; an IPv6 literal without brackets
    port: int
    address: IPAddress | None  # set when the host is an address literal


def _refuse_address(host: str, address: IPAddress, address_class: AddressClass) -> TargetRefused:
    zh, en = LABELS[address_class]
    shown = host if host == str(address) else f"{host} ({address})"
    return TargetRefused(
        f"webhook_target_{address_class.value}",
        f"Webhook 地址 {shown} 是{zh}，不允许作为推送目标",
        f"The webhook target {shown} is {en}, which is not allowed",
    )


def parse_allow_list(entries: Iterable[str]) -> tuple[frozenset[str], tuple[IPNetwork, ...]]:
    """Split allow-list entries into host names and networks; raise ValueError on a bad one."""
    hosts: set[str] = set()
    networks: list[IPNetwork] = []
    for raw in entries:
        entry = raw.strip()
        if not entry:
            raise ValueError("empty entry in the webhook allow-list")
        try:
            network = ipaddress.ip_network(entry.strip("[]"), strict=True)
        except ValueError:
            if not HOST_NAME.fullmatch(entry) or parse_address(entry) is not None:
                raise ValueError(f"not a network or host name: {entry!r}") from None
            hosts.add(normalise_host(entry))
        else:
            networks.append(network)
    return frozenset(hosts), tuple(networks)


@dataclass(frozen=True)
class TargetPolicy:
    """What a deployment lets webhooks reach beyond the public internet."""

    allow_loopback: bool = False
    allowed_hosts: frozenset[str] = frozenset()
    allowed_networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def build(cls, allow_list: Iterable[str], *, allow_loopback: bool) -> TargetPolicy:
        """Build the policy from allow-list entries (host names, addresses, CIDR networks)."""
        hosts, networks = parse_allow_list(allow_list)
        return cls(allow_loopback=allow_loopback, allowed_hosts=hosts, allowed_networks=networks)

    def permits(self, host: str, address: IPAddress) -> bool:
        """Tell whether connecting to `address` on behalf of `host` is allowed."""
        address_class = classify(address)
        if address_class is None:
            return True
        if address_class is AddressClass.METADATA:
            return False
        if address_class is AddressClass.LOOPBACK and self.allow_loopback:
            return True
        if normalise_host(host) in self.allowed_hosts:
            return True
        plain = unwrap(address)
        return any(plain in network for network in self.allowed_networks)

    def check_address(self, host: str, address: IPAddress) -> None:
        """Raise TargetRefused unless connecting to `address` for `host` is allowed."""
        if not self.permits(host, address):
            address_class = classify(address)
            assert address_class is not None
            raise _refuse_address(host, address, address_class)

    def check_url(self, url: str) -> Target:
        """Check what can be checked without DNS; return the target, or raise TargetRefused."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise TargetRefused(
                "webhook_url_invalid", "Webhook 地址格式不正确", "The webhook URL is malformed"
            ) from exc
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise TargetRefused(
                "webhook_scheme",
                "Webhook 地址只能使用 http 或 https",
                "The webhook URL must use http or https",
            )
        if "@" in parts.netloc:
            raise TargetRefused(
                "webhook_userinfo",
                "Webhook 地址不能包含用户名或密码",
                "The webhook URL must not carry a user name or password",
            )
        host = _host_of(parts)
        target = Target(
            scheme=scheme,
            host=host,
            port=port or (443 if scheme == "https" else 80),
            address=parse_address(host),
        )
        if target.address is not None:
            self.check_address(host, target.address)
        elif host in LOOPBACK_NAMES or host.endswith(".localhost"):
            if not (self.allow_loopback or host in self.allowed_hosts):
                raise _refuse_name(host, AddressClass.LOOPBACK)
        elif host in METADATA_NAMES:
            raise _refuse_name(host, AddressClass.METADATA)
        return target


def _host_of(parts: SplitResult) -> str:
    host = parts.hostname  # lower-cased, without brackets
    if not host:
        raise TargetRefused(
            "webhook_url_invalid", "Webhook 地址缺少主机名", "The webhook URL has no host"
        )
    return normalise_host(host)


def _refuse_name(host: str, address_class: AddressClass) -> TargetRefused:
    zh, en = LABELS[address_class]
    return TargetRefused(
        f"webhook_target_{address_class.value}",
        f"Webhook 地址 {host} 指向{zh}，不允许作为推送目标",
        f"The webhook target {host} names {en}, which is not allowed",
    )
