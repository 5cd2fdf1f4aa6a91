"""Webhook targets: which addresses and URLs an agency's webhook may name."""

from __future__ import annotations

import ipaddress
import socket

import httpx
import pytest
from pydantic import AnyHttpUrl, TypeAdapter

from services.agency_integration.config import Settings
from services.agency_integration.deliveries.sending import checked_addresses, pinned_url
from services.agency_integration.deliveries.targets import (
    AddressClass,
    IPAddress,
    TargetPolicy,
    TargetRefused,
    classify,
    parse_allow_list,
    parse_ipv4,
)

PROD = TargetPolicy()
DEV = TargetPolicy(allow_loopback=True)


def ip(text: str) -> IPAddress:
    return ipaddress.ip_address(text)


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("0.0.0.0", AddressClass.UNSPECIFIED),
        ("0.1.2.3", AddressClass.UNSPECIFIED),
        ("127.0.0.1", AddressClass.LOOPBACK),
        ("127.255.255.254", AddressClass.LOOPBACK),
        ("10.0.0.1", AddressClass.PRIVATE),
        ("172.16.0.1", AddressClass.PRIVATE),
        ("172.31.255.255", AddressClass.PRIVATE),
        ("192.168.1.1", AddressClass.PRIVATE),
        ("100.64.0.1", AddressClass.SHARED),
        ("100.127.255.255", AddressClass.SHARED),
        ("169.254.1.1", AddressClass.LINK_LOCAL),
        ("169.254.169.254", AddressClass.METADATA),
        ("169.254.170.2", AddressClass.METADATA),
        ("100.100.100.200", AddressClass.METADATA),  # Alibaba Cloud
        ("169.254.0.23", AddressClass.METADATA),  # Tencent Cloud
        ("192.0.0.192", AddressClass.METADATA),  # Oracle Cloud
        ("224.0.0.1", AddressClass.MULTICAST),
        ("239.255.255.250", AddressClass.MULTICAST),
        ("240.0.0.1", AddressClass.RESERVED),
        ("255.255.255.255", AddressClass.RESERVED),
        ("192.0.2.10", AddressClass.RESERVED),
        ("198.18.0.1", AddressClass.RESERVED),
        ("198.51.100.7", AddressClass.RESERVED),
        ("203.0.113.9", AddressClass.RESERVED),
        ("::", AddressClass.UNSPECIFIED),
        ("::1", AddressClass.LOOPBACK),
        ("fc00::1", AddressClass.PRIVATE),
        ("fd12:3456::1", AddressClass.PRIVATE),
        ("fd00:ec2::254", AddressClass.METADATA),
        ("fe80::1", AddressClass.LINK_LOCAL),
        ("febf::1", AddressClass.LINK_LOCAL),
        ("fec0::1", AddressClass.PRIVATE),
        ("ff02::1", AddressClass.MULTICAST),
        ("2001:db8::1", AddressClass.RESERVED),
        ("2001::1", AddressClass.RESERVED),  # Teredo
        ("100::1", AddressClass.RESERVED),
        ("::127.0.0.1", AddressClass.RESERVED),  # IPv4-compatible (deprecated)
        ("64:ff9b:1::1", AddressClass.PRIVATE),
        # IPv6 forms carrying an IPv4 address are judged by it.
        ("::ffff:127.0.0.1", AddressClass.LOOPBACK),
        ("::ffff:7f00:1", AddressClass.LOOPBACK),
        ("::ffff:10.1.2.3", AddressClass.PRIVATE),
        ("::ffff:169.254.169.254", AddressClass.METADATA),
        ("::ffff:0.0.0.0", AddressClass.UNSPECIFIED),
        ("::ffff:100.64.0.1", AddressClass.SHARED),
        ("::ffff:0:127.0.0.1", AddressClass.LOOPBACK),  # IPv4-translated
        ("64:ff9b::7f00:1", AddressClass.LOOPBACK),  # NAT64
        ("64:ff9b::a9fe:a9fe", AddressClass.METADATA),
        ("2002:7f00:1::1", AddressClass.LOOPBACK),  # 6to4
        ("2002:c0a8:101::1", AddressClass.PRIVATE),
        ("fe80::1%eth0", AddressClass.LINK_LOCAL),
    ],
)
def test_non_public_addresses_are_classified(address: str, expected: AddressClass) -> None:
    assert classify(ip(address)) is expected


@pytest.mark.parametrize(
    "address",
    [
        "1.1.1.1",
        "8.8.8.8",
        "114.114.114.114",
        "100.63.255.255",
        "100.128.0.0",
        "172.15.255.255",
        "172.32.0.0",
        "169.253.255.255",
        "223.255.255.255",
        "2400:3200::1",
        "2606:4700:4700::1111",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
        "2002:808:808::1",
    ],
)
def test_public_addresses_are_not_classified(address: str) -> None:
    assert classify(ip(address)) is None


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0177.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("0X7F.0.0.0x1", "127.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"),
        ("0", "0.0.0.0"),
        ("0x", "0.0.0.0"),
        ("3232235777", "192.168.1.1"),
        ("0xa9.0xfe.0xa9.0xfe", "169.254.169.254"),
        ("025177524776", "169.254.169.254"),
    ],
)
def test_ipv4_literals_are_read_as_resolvers_read_them(literal: str, expected: str) -> None:
    assert parse_ipv4(literal) == ip(expected)


@pytest.mark.parametrize(
    "host",
    [
        "example.com",
        "1.2.3.4.5",
        "256.0.0.1",
        "1.2.3.256",
        "4294967296",
        "08.0.0.1",
        "0x7g.1",
        "1_0.0.0.1",
        "-1.0.0.1",
        " 127.0.0.1",
        "１２７.0.0.1",
        "1e3",
        "",
        "..",
    ],
)
def test_other_hosts_are_not_ipv4_literals(host: str) -> None:
    assert parse_ipv4(host) is None


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://127.0.0.1:8080/hook", "webhook_target_loopback"),
        ("http://2130706433/", "webhook_target_loopback"),
        ("http://0x7f.1/", "webhook_target_loopback"),
        ("http://0177.0.0.1/", "webhook_target_loopback"),
        ("http://127.1/", "webhook_target_loopback"),
        ("http://127.0.0.1./", "webhook_target_loopback"),
        ("http://[::1]/", "webhook_target_loopback"),
        ("http://[::ffff:127.0.0.1]/", "webhook_target_loopback"),
        ("http://[::ffff:7f00:1]:9000/", "webhook_target_loopback"),
        ("https://localhost/", "webhook_target_loopback"),
        ("https://LOCALHOST./", "webhook_target_loopback"),
        ("https://api.localhost/", "webhook_target_loopback"),
        ("https://ip6-localhost/", "webhook_target_loopback"),
        ("http://10.0.0.5/hook", "webhook_target_private"),
        ("http://192.168.0.1/", "webhook_target_private"),
        ("http://[fd00::1]/", "webhook_target_private"),
        ("http://100.64.1.1/", "webhook_target_shared"),
        ("http://169.254.1.1/", "webhook_target_link_local"),
        ("http://[fe80::1]/", "webhook_target_link_local"),
        ("http://[fe80::1%25eth0]/", "webhook_target_link_local"),
        ("http://0.0.0.0/", "webhook_target_unspecified"),
        ("http://0/", "webhook_target_unspecified"),
        ("http://[::]/", "webhook_target_unspecified"),
        ("http://224.0.0.1/", "webhook_target_multicast"),
        ("http://[ff02::1]/", "webhook_target_multicast"),
        ("http://240.0.0.1/", "webhook_target_reserved"),
        ("http://169.254.169.254/latest/meta-data/", "webhook_target_metadata"),
        ("http://[fd00:ec2::254]/", "webhook_target_metadata"),
        ("http://[::ffff:169.254.169.254]/", "webhook_target_metadata"),
        ("http://metadata.google.internal/computeMetadata/v1/", "webhook_target_metadata"),
        ("http://Metadata.Google.Internal./", "webhook_target_metadata"),
        ("http://100.100.100.200/latest/meta-data/", "webhook_target_metadata"),
        ("ftp://example.com/hook", "webhook_scheme"),
        ("file:///etc/passwd", "webhook_scheme"),
        ("gopher://example.com:70/", "webhook_scheme"),
        ("http://user:secret@example.com/", "webhook_userinfo"),
        ("http://user@example.com/", "webhook_userinfo"),
        ("http://@example.com/", "webhook_userinfo"),
        ("http://example.com@127.0.0.1/", "webhook_userinfo"),
        ("http:///hook", "webhook_url_invalid"),
        ("http://example.com:99999/", "webhook_url_invalid"),
    ],
)
def test_urls_refused_in_prod(url: str, code: str) -> None:
    with pytest.raises(TargetRefused) as refused:
        PROD.check_url(url)
    assert refused.value.code == code
    assert refused.value.message_zh
    assert refused.value.message_en


@pytest.mark.parametrize(
    "url",
    [
        "https://police.example.gov.cn/xiaoan/webhook",
        "http://8.8.8.8:8080/hook",
        "https://[2400:3200::1]/hook",
        "https://xn--fsqu00a.xn--fiqs8s/hook",
        "https://hooks.example.com./",
        "https://10.0.0.5.example.com/",  # a name: its addresses are checked at delivery
    ],
)
def test_public_urls_pass(url: str) -> None:
    target = PROD.check_url(url)
    assert target.scheme in ("http", "https")


def test_target_parts_for_sending() -> None:
    target = PROD.check_url("HTTPS://Hooks.Example.COM.:8443/x")
    assert (target.scheme, target.host, target.port, target.address) == (
        "https",
        "hooks.example.com",
        8443,
        None,
    )
    assert PROD.check_url("http://8.8.8.8/").port == 80
    assert PROD.check_url("http://0x8.8.8.8/").address == ip("8.8.8.8")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://[::1]:8080/hook",
        "http://[::ffff:127.0.0.1]/",
        "http://2130706433/",
        "http://localhost:8080/",
    ],
)
def test_dev_and_test_modes_allow_loopback(url: str) -> None:
    DEV.check_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.5/",
        "http://169.254.169.254/",
        "http://metadata.google.internal/",
        "http://[fe80::1]/",
    ],
)
def test_dev_and_test_modes_still_refuse_the_rest(url: str) -> None:
    with pytest.raises(TargetRefused):
        DEV.check_url(url)


def test_allow_list_permits_listed_hosts_and_networks() -> None:
    policy = TargetPolicy.build(
        ["10.20.0.0/16", "192.168.7.9", "fd12::/64", "Hooks.Corp.Example."],
        allow_loopback=False,
    )
    assert policy.permits("x", ip("10.20.3.4"))
    assert policy.permits("x", ip("::ffff:10.20.3.4"))  # its IPv4-mapped form too
    assert policy.permits("x", ip("192.168.7.9"))
    assert policy.permits("x", ip("fd12::5"))
    assert policy.permits("hooks.corp.example", ip("10.99.0.1"))
    assert policy.permits("HOOKS.corp.example.", ip("127.0.0.1"))
    assert not policy.permits("x", ip("10.21.0.1"))
    assert not policy.permits("x", ip("192.168.7.10"))
    assert not policy.permits("other.corp.example", ip("10.99.0.1"))
    assert not policy.permits("x", ip("127.0.0.1"))
    policy.check_url("http://10.20.0.1/hook")
    policy.check_url("http://hooks.corp.example/")
    with pytest.raises(TargetRefused):
        policy.check_url("http://10.21.0.1/hook")


def test_metadata_endpoints_are_refused_even_when_allow_listed() -> None:
    policy = TargetPolicy.build(
        ["169.254.0.0/16", "169.254.169.254", "metadata.google.internal"], allow_loopback=True
    )
    assert policy.permits("x", ip("169.254.1.1"))
    assert not policy.permits("x", ip("169.254.169.254"))
    assert not policy.permits("metadata.google.internal", ip("169.254.169.254"))
    with pytest.raises(TargetRefused):
        policy.check_url("http://metadata.google.internal/")


@pytest.mark.parametrize(
    "entry", ["", "10.0.0.1/8", "0x7f.1", "host:8080", "http://x/", "fd12::/200", "*.corp", "a b"]
)
def test_bad_allow_list_entries_are_refused(entry: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        parse_allow_list([entry])


def test_settings_read_the_allow_list_and_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XIAOAN_ENV", "test")
    monkeypatch.setenv("AGENCY_INTEGRATION_WEBHOOK_ALLOWED_TARGETS", '["10.1.0.0/16","hooks.lan"]')
    policy = Settings().webhook_targets()
    assert policy.allow_loopback
    assert policy.permits("hooks.lan", ip("192.168.0.1"))
    assert policy.permits("x", ip("10.1.2.3"))
    monkeypatch.setenv("AGENCY_INTEGRATION_WEBHOOK_ALLOWED_TARGETS", '["10.1.0.1/16"]')
    with pytest.raises(ValueError, match="not a network or host name"):
        Settings()


def test_pydantic_normalised_urls_are_still_refused() -> None:
    # Registration stores the URL as pydantic writes it; both forms must be refused.
    adapter = TypeAdapter(AnyHttpUrl)
    for raw in ("http://0x7f.1/", "http://[::ffff:127.0.0.1]/", "http://2130706433/"):
        normalised = str(adapter.validate_python(raw))
        for url in (raw, normalised):
            with pytest.raises(TargetRefused):
                PROD.check_url(url)


def test_system_resolver_reads_numeric_hosts_like_the_parser() -> None:
    # The same forms reach getaddrinfo at delivery: it must agree that they are loopback.
    for literal in ("2130706433", "0x7f.1", "0177.0.0.1", "127.1"):
        infos = socket.getaddrinfo(literal, 80, type=socket.SOCK_STREAM)
        assert {info[4][0] for info in infos} == {"127.0.0.1"}
        assert parse_ipv4(literal) == ip("127.0.0.1")


async def test_every_resolved_address_is_checked() -> None:
    async def resolve(host: str, port: int) -> list[IPAddress]:
        assert (host, port) == ("hooks.example.com", 443)
        return [ip("8.8.8.8"), ip("10.0.0.7")]

    target = PROD.check_url("https://hooks.example.com/")
    with pytest.raises(TargetRefused) as refused:
        await checked_addresses(target, PROD, resolve)
    assert refused.value.code == "webhook_target_private"
    assert "hooks.example.com (10.0.0.7)" in refused.value.message_en


async def test_literal_targets_are_not_resolved() -> None:
    async def resolve(host: str, port: int) -> list[IPAddress]:
        raise AssertionError("a literal address needs no resolver")

    target = DEV.check_url("http://0x7f.1:8080/")
    assert await checked_addresses(target, DEV, resolve) == [ip("127.0.0.1")]


def test_pinned_url_keeps_everything_but_the_host() -> None:
    url = httpx.URL("https://hooks.example.com:8443/a/b?c=1")
    assert str(pinned_url(url, ip("8.8.8.8"))) == "https://8.8.8.8:8443/a/b?c=1"
    assert str(pinned_url(url, ip("2400:3200::1"))) == "https://[2400:3200::1]:8443/a/b?c=1"
