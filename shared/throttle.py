"""Throttles and lockouts, counted in the key-value store every replica shares.

A `Throttle` is one rate ("120 per minute", the `limits` library's notation) counted per
identity: a user, a login, an address, an Open311 client. Going beyond it answers 429 with
`Retry-After`, the whole seconds until the rate allows the request again.

Request throttles count with a sliding window of two counters (constant memory however high the
rate); lockouts, whose counts are small and must be exact ("the eleventh wrong password"), with
a moving window of timestamps.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem, parse
from limits.aio.storage import RedisStorage
from limits.aio.strategies import (
    MovingWindowRateLimiter,
    RateLimiter,
    SlidingWindowCounterRateLimiter,
)
from redis.asyncio import Redis
from redis.exceptions import RedisError

from shared.errors import ApiError
from shared.idempotency import store_unavailable


@dataclass(frozen=True)
class Refusal:
    """What a client is told when a throttle refuses it; `{seconds}` is filled in."""

    code: str
    message_zh: str
    message_en: str


TOO_MANY_REQUESTS = Refusal(
    "too_many_requests",
    "请求过于频繁，请在 {seconds} 秒后重试",
    "Too many requests; retry in {seconds} s",
)


class Limiters:
    """The two counting strategies over one connection to the shared store."""

    def __init__(self, client: Redis, *, prefix: str) -> None:
        pool: Any = client.connection_pool  # typed by `limits` as a plain option
        storage = RedisStorage(
            "async+redis://",
            implementation="redispy",
            key_prefix=prefix + "throttle",
            connection_pool=pool,
        )
        self.sliding = SlidingWindowCounterRateLimiter(storage)
        self.moving = MovingWindowRateLimiter(storage)


class Throttle:
    """One rate, counted per identity under `name`."""

    def __init__(
        self,
        limiter: RateLimiter,
        name: str,
        rate: str,
        refusal: Refusal = TOO_MANY_REQUESTS,
    ) -> None:
        self.limiter = limiter
        self.name = name
        self.item: RateLimitItem = parse(rate)
        self.refusal = refusal

    async def take(self, identity: str, cost: int = 1) -> None:
        """Count `cost` requests of `identity`; answer 429 if that is beyond the rate."""
        try:
            allowed = await self.limiter.hit(self.item, self.name, identity, cost=cost)
            if not allowed:
                raise await self._refused(identity)
        except RedisError as exc:
            raise store_unavailable() from exc

    async def count(self, identity: str) -> bool:
        """Count one event of `identity` (a failed log-in); tell whether it was within the rate."""
        try:
            return await self.limiter.hit(self.item, self.name, identity)
        except RedisError as exc:
            raise store_unavailable() from exc

    async def is_open(self, identity: str) -> bool:
        """Tell whether `identity` may make one more request, without counting it."""
        try:
            return await self.limiter.test(self.item, self.name, identity)
        except RedisError as exc:
            raise store_unavailable() from exc

    async def ensure_open(self, identity: str) -> None:
        """Answer 429 if `identity` has used up the rate, without counting this request."""
        if not await self.is_open(identity):
            raise await self._refused(identity)

    async def forget(self, identity: str) -> None:
        """Clear what was counted for `identity` (a successful log-in clears its failures)."""
        try:
            await self.limiter.clear(self.item, self.name, identity)
        except RedisError as exc:
            raise store_unavailable() from exc

    async def seconds_until_open(self, identity: str) -> int:
        """Return the whole seconds until `identity` may try again (at least 1)."""
        stats = await self.limiter.get_window_stats(self.item, self.name, identity)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def _refused(self, identity: str) -> ApiError:
        seconds = await self.seconds_until_open(identity)
        return ApiError(
            429,
            self.refusal.code,
            self.refusal.message_zh.format(seconds=seconds),
            self.refusal.message_en.format(seconds=seconds),
            headers={"Retry-After": str(seconds)},
        )
