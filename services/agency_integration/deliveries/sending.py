"""POST a webhook to the address that was checked, not to whatever the name resolves to later.

Checking a host name and then handing the URL to the HTTP client would resolve the name twice:
a hostile DNS server can answer a public address to the check and 127.0.0.1 to the connect
(DNS rebinding). So the name is resolved once, here; every address it resolves to is checked
against the policy (one refused address refuses the target: a name that also points inside is
not an agency's endpoint); and the request is sent to the checked address itself, as an IP
literal in the URL, so httpx has no name left to resolve. What the receiver sees is unchanged:

- the `Host` header keeps the URL's host (and port), so virtual hosting works;
- for https, the `sni_hostname` request extension makes httpx's TLS handshake send the name as
  SNI and verify the server's certificate against the name, not the address;
- `Connection: close`: httpx pools connections by scheme, address and port, so without it a
  second agency behind the same address could be sent over the TLS session verified for the
  first agency's name. Deliveries are few; a handshake each costs little.

Redirects are never followed (the client is built with `follow_redirects=False`): a 3xx is a
failed attempt, never a second, unchecked target. Addresses are tried in the resolver's order,
the next one only when the previous could not be connected to.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Mapping

import httpx

from services.agency_integration.deliveries.targets import (
    IPAddress,
    Target,
    TargetPolicy,
    parse_address,
)

# Resolve (host, port) to the addresses to connect to, in order of preference.
Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]


class ResolutionFailed(Exception):
    """The target's name did not resolve (a failed attempt, retried later)."""


async def resolve_system(host: str, port: int) -> list[IPAddress]:
    """Resolve `host` with the system resolver (getaddrinfo), keeping its order, no repeats."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise ResolutionFailed(f"cannot resolve {host}: {exc}") from exc
    addresses: list[IPAddress] = []
    for *_, sockaddr in infos:
        address = parse_address(str(sockaddr[0]).split("%", 1)[0])
        if address is not None and address not in addresses:
            addresses.append(address)
    if not addresses:
        raise ResolutionFailed(f"cannot resolve {host}: no addresses")
    return addresses


async def checked_addresses(
    target: Target, policy: TargetPolicy, resolve: Resolver
) -> list[IPAddress]:
    """Return the addresses to connect to, every one permitted; raise TargetRefused if not."""
    addresses = [target.address] if target.address else await resolve(target.host, target.port)
    for address in addresses:
        policy.check_address(target.host, address)
    return addresses


def pinned_url(url: httpx.URL, address: IPAddress) -> httpx.URL:
    """Return `url` with its host replaced by `address` (httpx brackets IPv6 itself)."""
    return url.copy_with(host=str(address))


async def post_pinned(
    client: httpx.AsyncClient,
    url: str,
    *,
    content: bytes,
    headers: Mapping[str, str],
    timeout: float,  # noqa: ASYNC109  (handed to httpx, which applies it per phase)
    policy: TargetPolicy,
    resolve: Resolver = resolve_system,
) -> httpx.Response:
    """POST to `url` through a checked address; raise TargetRefused, ResolutionFailed or httpx's."""
    target = policy.check_url(url)
    async with asyncio.timeout(timeout):
        addresses = await checked_addresses(target, policy, resolve)
    original = httpx.URL(url)
    pinned_headers = {**headers, "host": original.netloc.decode("ascii"), "connection": "close"}
    extensions = (
        {"sni_hostname": target.host} if target.scheme == "https" and target.address is None else {}
    )
    last_error: httpx.ConnectError | None = None
    for address in addresses:
        try:
            return await client.post(
                pinned_url(original, address),
                content=content,
                headers=pinned_headers,
                timeout=timeout,
                extensions=extensions,
            )
        except httpx.ConnectError as exc:
            last_error = exc
    assert last_error is not None
    raise last_error
