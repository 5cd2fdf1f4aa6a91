"""The key-value store every replica of a service shares (Redis): what must be seen alike by
all of them at once and may expire on its own.

Idempotency-Key answers (`shared/idempotency.py`), throttles and lockouts (`shared/throttle.py`)
live here rather than in MongoDB: they are read and written on every keyed request, each one is
a single key with its own time to live, and a replica must see another's claim at once.
"""

from __future__ import annotations

import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# Bounded waits: a store that does not answer makes a request fail fast (503), not hang.
SOCKET_TIMEOUT_SECONDS = 5.0


def connect(url: str) -> Redis:
    """Return a client of the store at `url` (it connects on first use)."""
    return Redis.from_url(
        url,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
        health_check_interval=30,
        retry_on_timeout=True,
    )


async def ping(client: Redis) -> bool:
    """Tell whether the store answers (for `/readyz`)."""
    try:
        return bool(await client.ping())
    except (RedisError, OSError):
        log.warning("the key-value store does not answer", exc_info=True)
        return False
