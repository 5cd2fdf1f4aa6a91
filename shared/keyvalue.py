"""The key-value store every replica of a service shares (Redis): what must be seen alike by
all of them at once and may expire on its own.

Idempotency-Key answers (`shared/idempotency.py`), throttles and lockouts (`shared/throttle.py`)
live here rather than in MongoDB: they are read and written on every keyed request, each one is
a single key with its own time to live, and a replica must see another's claim at once.
"""

from __future__ import annotations

import logging

from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# Bounded waits: a store that does not answer makes a request fail fast (503), not hang.
SOCKET_TIMEOUT_SECONDS = 5.0
# Connections per process. A burst (three phones sending 100 queued reports each) asks for
# more at once: those requests wait for a free connection, up to the timeout above, instead
# of failing as redis-py's default pool does past its limit.
MAX_CONNECTIONS = 64


def connect(url: str) -> Redis:
    """Return a client of the store at `url` (it connects on first use)."""
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=MAX_CONNECTIONS,
        timeout=SOCKET_TIMEOUT_SECONDS,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
        health_check_interval=30,
        retry_on_timeout=True,
    )
    return Redis.from_pool(pool)  # closing the client closes its pool


async def ping(client: Redis) -> bool:
    """Tell whether the store answers (for `/readyz`)."""
    try:
        return bool(await client.ping())
    except (RedisError, OSError):
        log.warning("the key-value store does not answer", exc_info=True)
        return False
