"""Run a service in prod mode on the test servers, as production would start it.

Prod mode refuses the RabbitMQ guest account, so each use gets a broker account of its own
(created through the management API with full rights on one vhost, deleted afterwards); the
other settings prod requires (a Redis password, a real S3 secret, the public key file) are
already what the test servers provide.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote, urlsplit, urlunsplit

import httpx

from tests.support.servers import InfraEnv, unique_name

# Local conveniences prod mode refuses to start with.
DEV_ONLY = ("GRID_REGISTRY_DEMO_DATA", "AGENCY_INTEGRATION_DEMO_DATA", "XIAOAN_CLOCK_OFFSET_FILE")


def _management(infra: InfraEnv) -> httpx.Client:
    parts = urlsplit(infra.management_url)
    base = urlunsplit((parts.scheme, f"{parts.hostname}:{parts.port}", "/api", "", ""))
    return httpx.Client(
        base_url=base, auth=(parts.username or "guest", parts.password or "guest"), timeout=30
    )


@contextmanager
def broker_account(infra: InfraEnv, vhost: str) -> Iterator[str]:
    """Create a RabbitMQ account with rights on `vhost`; yield its AMQP URL; delete it."""
    user, password = unique_name("xiaoan-prod"), secrets.token_hex(16)
    with _management(infra) as api:
        api.put(f"/users/{user}", json={"password": password, "tags": ""}).raise_for_status()
        try:
            api.put(
                f"/permissions/{quote(vhost, safe='')}/{user}",
                json={"configure": ".*", "write": ".*", "read": ".*"},
            ).raise_for_status()
            amqp = urlsplit(infra.amqp_url)
            netloc = f"{user}:{password}@{amqp.hostname}:{amqp.port}"
            yield urlunsplit((amqp.scheme, netloc, "/" + quote(vhost, safe=""), "", ""))
        finally:
            api.delete(f"/users/{user}")


@contextmanager
def vhost_of_its_own(infra: InfraEnv) -> Iterator[str]:
    """Create a fresh vhost (the management user may use it too); yield its name; delete it."""
    name = unique_name("e2e-prod")
    management_user = urlsplit(infra.management_url).username or "guest"
    with _management(infra) as api:
        api.put(f"/vhosts/{quote(name, safe='')}").raise_for_status()
        try:
            api.put(
                f"/permissions/{quote(name, safe='')}/{management_user}",
                json={"configure": ".*", "write": ".*", "read": ".*"},
            ).raise_for_status()
            yield name
        finally:
            api.delete(f"/vhosts/{quote(name, safe='')}")


def prod_env(env: dict[str, str], amqp_url: str) -> dict[str, str]:
    """Return a service's environment switched to prod mode with a non-guest broker account."""
    switched = {k: v for k, v in env.items() if k not in DEV_ONLY}
    return {**switched, "XIAOAN_ENV": "prod", "AMQP_URL": amqp_url}
