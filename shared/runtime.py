"""The connections of a running service, opened in order at start-up and closed in reverse.

    async with open_runtime(app, settings, indexes=INDEXES) as runtime:
        runtime.broker.subscribe(...)
        await runtime.broker.start_consuming()
        yield

Start-up waits (bounded) for MongoDB, RabbitMQ, the key-value store and S3 to answer, so that services started
together with their servers do not crash-loop; `/readyz` reports the same dependencies.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import FastAPI
from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from redis.asyncio import Redis

from shared import clock, keyvalue, mongo
from shared.auth.tokens import TokenVerifier
from shared.idempotency import IdempotencyStore
from shared.messaging.broker import Broker
from shared.observability.metrics import ServiceMetrics
from shared.outbox import OutboxRelay
from shared.settings import CommonSettings
from shared.storage import ObjectStore
from shared.throttle import Limiters

log = logging.getLogger(__name__)

T = TypeVar("T")

STARTUP_TIMEOUT_SECONDS = 60.0


@dataclass
class Runtime:
    """What a service's code reaches through `app.state.runtime`."""

    settings: CommonSettings
    metrics: ServiceMetrics
    mongo_client: AsyncMongoClient[dict[str, Any]]
    db: AsyncDatabase[dict[str, Any]]
    broker: Broker
    kv: Redis
    idempotency: IdempotencyStore
    limiters: Limiters
    store: ObjectStore | None = None
    readiness: dict[str, Callable[[], Awaitable[bool]]] = field(default_factory=dict)
    background: list[asyncio.Task[None]] = field(default_factory=list)
    relays: list[OutboxRelay] = field(default_factory=list)

    def mark_ready(self, app: FastAPI) -> None:
        """Let `/readyz` answer 200 (call once consumers and workers have started)."""
        app.state.readiness = self.readiness

    async def start_outbox_relay(self, app: FastAPI, collections: Sequence[str]) -> OutboxRelay:
        """Publish the outboxes of `collections` until the service stops (as app.state.relay)."""
        relay = OutboxRelay(
            self.broker,
            [self.db[name] for name in collections],
            self.metrics,
            workers=self.settings.outbox_workers,
            sweep_interval=self.settings.outbox_sweep_seconds,
        )
        await relay.start()
        self.relays.append(relay)
        app.state.relay = relay
        return relay

    def run_in_background(self, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run `work` until the service stops (it is cancelled at shutdown)."""
        self.background.append(asyncio.create_task(work()))


async def _retry_until_up(what: str, attempt: Callable[[], Awaitable[T]]) -> T:
    deadline = asyncio.get_running_loop().time() + STARTUP_TIMEOUT_SECONDS
    delay = 0.2
    while True:
        try:
            return await attempt()
        except Exception as exc:
            if asyncio.get_running_loop().time() >= deadline:
                raise RuntimeError(f"{what} did not answer within the start-up timeout") from exc
            log.warning("waiting for %s: %r", what, exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 3.0)


def token_verifier(settings: CommonSettings) -> TokenVerifier:
    """Build the verifier of access tokens from the configured public key."""
    return TokenVerifier(
        settings.public_key_pem(), issuer=settings.jwt_issuer, audience=settings.jwt_audience
    )


@asynccontextmanager
async def open_runtime(
    app: FastAPI,
    settings: CommonSettings,
    *,
    indexes: Mapping[str, Sequence[IndexModel]],
    buckets: Sequence[str] = (),
) -> AsyncIterator[Runtime]:
    """Connect to MongoDB, RabbitMQ and (if `buckets`) S3; expose them on `app.state`."""
    metrics: ServiceMetrics = app.state.metrics
    clock.use_offset_file(settings.clock_offset_file)
    client = mongo.connect(settings.mongo_url, app_name=settings.service_name, metrics=metrics)
    db = client[settings.mongo_db]

    async def mongo_up() -> None:
        await client.admin.command("ping")

    await _retry_until_up("MongoDB", mongo_up)
    await mongo.ensure_indexes(db, indexes)

    broker = Broker(
        url=settings.amqp_url.get_secret_value(),
        service=settings.service_name,
        metrics=metrics,
        retry_delays_ms=settings.retry_delays_ms,
        max_attempts=settings.max_delivery_attempts,
        prefetch=settings.amqp_prefetch,
    )
    await _retry_until_up("RabbitMQ", broker.connect)

    kv = keyvalue.connect(settings.redis_url.get_secret_value())

    async def kv_up() -> None:
        await kv.ping()

    await _retry_until_up("the key-value store (Redis)", kv_up)
    runtime = Runtime(
        settings,
        metrics,
        client,
        db,
        broker,
        kv,
        IdempotencyStore(
            kv,
            prefix=settings.key_prefix,
            retention_seconds=round(settings.idempotency_retention_hours * 3600),
        ),
        Limiters(kv, prefix=settings.key_prefix),
    )

    async def broker_ready() -> bool:
        return broker.is_ready()

    async def mongo_ready() -> bool:
        return await mongo.ping(client)

    async def kv_ready() -> bool:
        return await keyvalue.ping(kv)

    runtime.readiness = {"mongodb": mongo_ready, "rabbitmq": broker_ready, "redis": kv_ready}
    if buckets:
        store = ObjectStore(
            settings.s3_endpoint,
            settings.s3_access_key.get_secret_value(),
            settings.s3_secret_key.get_secret_value(),
            secure=settings.s3_secure,
            region=settings.s3_region,
            public_endpoint=settings.s3_public_endpoint,
        )
        for bucket in buckets:

            async def create_bucket(name: str = bucket) -> None:
                await store.ensure_bucket(name)

            await _retry_until_up("S3", create_bucket)

        async def s3_ready() -> bool:
            return await store.bucket_ready(buckets[0])

        runtime.store = store
        runtime.readiness["s3"] = s3_ready

    app.state.runtime = runtime
    app.state.token_verifier = token_verifier(settings)
    try:
        yield runtime
    finally:
        app.state.readiness = {}
        # Handlers finish first (their writes may queue outbox events), then the relays.
        await broker.stop_consuming()
        for relay in runtime.relays:
            await relay.stop()
        for task in runtime.background:
            task.cancel()
        await asyncio.gather(*runtime.background, return_exceptions=True)
        await broker.close()
        await kv.aclose()
        await client.close()
