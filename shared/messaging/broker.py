"""The one way services publish and consume events over RabbitMQ.

Publishing waits for the broker's confirm with mandatory routing: when `publish` returns, the
message is stored in at least one durable queue; an unroutable or refused message raises
`PublishFailed`. Consuming acks only after the handler returned, i.e. after its write; a
failing handler is retried with back-off through the delay queues and then dead-lettered (see
`topology`). Handlers must be idempotent: a message can arrive twice (redelivery after a crash,
a relay that published twice), and the second arrival must change nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractRobustConnection,
)

from shared.events.base import CLOUDEVENTS_CONTENT_TYPE, Event, decode_cloudevent
from shared.messaging import topology
from shared.messaging.batches import BatchCollector
from shared.messaging.parked import PARKED_FROM_HEADER, ParkedMessage, read_parked
from shared.observability.correlation import (
    bind_correlation_id,
    current_correlation_id,
    reset_correlation_id,
)
from shared.observability.metrics import ServiceMetrics

log = logging.getLogger(__name__)


class PublishFailed(Exception):
    """The broker did not confirm the message: it may not be stored. The caller must not ack."""


class PermanentFailure(Exception):
    """Raised by a handler for a message that can never succeed: dead-letter it without retries."""


@dataclass(frozen=True)
class Delivery:
    """What a handler may want to know about the message it handles."""

    queue: str
    attempt: int
    redelivered: bool
    correlation_id: str | None


Handler = Callable[[Any, Delivery], Awaitable[None]]
# Handles several messages at once; must be idempotent per message like any handler.
BatchHandler = Callable[[list[tuple[Any, Delivery]]], Awaitable[None]]


@dataclass(frozen=True)
class EncodedEvent:
    """An event ready for the wire, as stored in an outbox."""

    event_id: str
    routing_key: str
    ce_type: str
    body: bytes
    correlation_id: str | None


def encode_event(event: Event, correlation_id: str | None = None) -> EncodedEvent:
    """Encode `event` with the current (or given) correlation id."""
    cid = correlation_id or current_correlation_id()
    return EncodedEvent(
        event_id=event.event_id,
        routing_key=event.routing_key,
        ce_type=event.cloudevents_type(),
        body=event.to_bytes(correlation_id=cid),
        correlation_id=cid,
    )


# A message of a batched queue as it arrived: read, with what its handler is told.
_Arrived = tuple[AbstractIncomingMessage, Event, "Delivery"]


@dataclass
class _Subscription:
    queue: str
    event_types: tuple[type[Event], ...]
    handler: Handler
    consumer_tag: str | None = None
    queue_obj: Any = None
    batches: BatchCollector[_Arrived] | None = None
    batch_key: Callable[[Any], str] | None = None
    window: int = 0


@dataclass(frozen=True)
class _Watcher:
    queue: str
    handler: Callable[[ParkedMessage], Awaitable[None]]


async def _unused(event: Any, delivery: Delivery) -> None:  # watchers read raw messages
    raise NotImplementedError


# A watcher's own retries are counted apart: the parked copy keeps the attempts that failed.
WATCH_ATTEMPT_HEADER = "xiaoan-watch-attempt"


@dataclass
class _InFlight:
    count: int = 0
    idle: asyncio.Event = field(default_factory=asyncio.Event)


class Broker:
    """A service's connection to RabbitMQ: its publisher and its consumers."""

    def __init__(
        self,
        *,
        url: str,
        service: str,
        metrics: ServiceMetrics,
        retry_delays_ms: Sequence[int] = (1_000, 5_000, 30_000),
        max_attempts: int = 5,
        prefetch: int = 64,
        publish_timeout: float = 10.0,
    ) -> None:
        if max_attempts < 1 or not retry_delays_ms:
            raise ValueError("need at least one attempt and one retry delay")
        self.url = url
        self.service = service
        self.retry_delays_ms = tuple(retry_delays_ms)
        self.max_attempts = max_attempts
        self.prefetch = prefetch
        self.publish_timeout = publish_timeout
        self._connection: AbstractRobustConnection | None = None
        self._publish_channel: AbstractChannel | None = None
        self._consume_channel: AbstractChannel | None = None
        self._exchanges: dict[str, AbstractExchange] = {}
        self._subscriptions: list[_Subscription] = []
        self._broadcasts: list[_Subscription] = []
        self._watchers: list[_Watcher] = []
        self._in_flight = _InFlight()
        self._in_flight.idle.set()
        self._published = metrics.counter(
            "messages_published_total", "Messages confirmed by the broker", ["routing_key"]
        )
        self._publish_failures = metrics.counter(
            "message_publish_failures_total", "Publishes the broker did not confirm"
        )
        self._consumed = metrics.counter(
            "messages_consumed_total",
            "Messages handled, by queue and outcome (acked, retried, dead_lettered)",
            ["queue", "outcome"],
        )
        self._handle_seconds = metrics.histogram(
            "message_handling_seconds", "Time spent in a message handler", ["queue"]
        )

    # ------------------------------------------------------------------ lifecycle

    async def connect(self) -> None:
        """Connect, open the confirm channel and declare this service's exchange and retry paths."""
        self._connection = await aio_pika.connect_robust(
            self.url, client_properties={"connection_name": self.service}
        )
        channel = await self._connection.channel(publisher_confirms=True, on_return_raises=True)
        self._publish_channel = channel
        await topology.declare_retry_topology(channel, self.retry_delays_ms)
        self._exchanges[
            topology.exchange_name(self.service)
        ] = await topology.declare_producer_exchange(channel, self.service)
        for name in (
            topology.DELAY_EXCHANGE,
            topology.DEAD_LETTER_EXCHANGE,
            topology.REQUEUE_EXCHANGE,
        ):
            self._exchanges[name] = await channel.get_exchange(name, ensure=False)

    def subscribe(
        self, handler_name: str, event_types: Sequence[type[Event]], handler: Handler
    ) -> str:
        """Register `handler` for `event_types` on the queue `<service>.<handler_name>`."""
        queue = topology.handler_queue_name(self.service, handler_name)
        self._subscriptions.append(_Subscription(queue, tuple(event_types), handler))
        return queue

    def subscribe_batches(
        self,
        handler_name: str,
        event_types: Sequence[type[Event]],
        handler: BatchHandler,
        *,
        max_batch: int = 100,
        max_wait_seconds: float = 0.01,
        key: Callable[[Any], str] | None = None,
        window: int | None = None,
    ) -> str:
        """Register `handler` for `event_types` on the queue `<service>.<handler_name>`, called
        with up to `max_batch` messages at once (what arrived within `max_wait_seconds` of the
        first). If a batch fails, each of its messages is handled alone (a batch of one), with
        the usual retries and dead-lettering, so one poison message spoils no other.

        With `key`, batches are fair across keys (batches.py): up to `window` messages (the
        channel's prefetch; default two batches) wait in the process, and a key with a backlog
        takes one share of each batch, so it cannot hold up the others behind it.
        """
        queue = topology.handler_queue_name(self.service, handler_name)

        async def alone(event: Any, delivery: Delivery) -> None:
            await handler([(event, delivery)])

        collector: BatchCollector[_Arrived] = BatchCollector(max_batch, max_wait_seconds)
        sub = _Subscription(
            queue,
            tuple(event_types),
            alone,
            batches=collector,
            batch_key=key,
            window=window or 2 * max_batch,
        )
        self._subscriptions.append(sub)
        collector.bind(lambda arrived: self._handle_batch(sub, handler, arrived))
        return queue

    def watch_parked(
        self, handler_name: str, handler: Callable[[ParkedMessage], Awaitable[None]]
    ) -> str:
        """Register `handler` for a copy of every message any handler queue parks (its
        dead-letter queue keeps the original for an operator). Failures retry as for events."""
        queue = topology.handler_queue_name(self.service, handler_name)
        self._watchers.append(_Watcher(queue, handler))
        return queue

    def subscribe_broadcast(
        self, handler_name: str, event_types: Sequence[type[Event]], handler: Handler
    ) -> None:
        """Register `handler` to hear every event of `event_types` in this process.

        Unlike `subscribe`, each process (each replica) gets its own copy, through an exclusive
        queue that disappears with the connection: for keeping in-memory state current (cache
        invalidation), not for work that must happen once. Failures are logged, not retried.
        """
        queue = f"{topology.handler_queue_name(self.service, handler_name)}.{uuid.uuid4().hex[:8]}"
        self._broadcasts.append(_Subscription(queue, tuple(event_types), handler))

    async def start_consuming(self) -> None:
        """Declare every subscribed queue and start delivering messages to the handlers."""
        if not self._subscriptions and not self._broadcasts and not self._watchers:
            return
        assert self._connection is not None, "connect() first"
        self._consume_channel = await self._connection.channel()
        await self._consume_channel.set_qos(prefetch_count=self.prefetch)
        for sub in self._broadcasts:
            queue = await self._consume_channel.declare_queue(
                sub.queue, exclusive=True, auto_delete=True, durable=False
            )
            for event_type in sub.event_types:
                exchange = await topology.declare_producer_exchange(
                    self._consume_channel, event_type.producer
                )
                await queue.bind(exchange, routing_key=event_type.routing_key)
            sub.queue_obj = queue
            sub.consumer_tag = await queue.consume(self._broadcast_callback(sub), no_ack=True)
        for sub in self._subscriptions:
            bindings = [(t.producer, t.routing_key) for t in sub.event_types]
            channel = self._consume_channel
            if sub.batches is not None:
                # A channel of its own, so that a whole batch (and the next) can be in flight.
                channel = await self._connection.channel()
                await channel.set_qos(prefetch_count=sub.window)
            sub.queue_obj = await topology.declare_handler_queue(channel, sub.queue, bindings)
            if sub.batches is not None:
                sub.batches.start()
                callback = self._tracked_until_settled(sub)
            else:
                callback = self._make_callback(sub)
            sub.consumer_tag = await sub.queue_obj.consume(callback, no_ack=False)
        for watcher in self._watchers:
            queue_obj = await topology.declare_watcher_queue(self._consume_channel, watcher.queue)
            sub = _Subscription(watcher.queue, (), _unused, queue_obj=queue_obj)
            sub.consumer_tag = await queue_obj.consume(self._watch_callback(sub, watcher))
            self._subscriptions.append(sub)  # stopped and drained like the others

    async def stop_consuming(self, grace_seconds: float = 10.0) -> None:
        """Stop taking new messages and wait (up to the grace) for handlers in progress."""
        channel = self._consume_channel
        channel_open = channel is not None and not channel.is_closed
        for sub in [*self._broadcasts, *self._subscriptions]:
            if channel_open and sub.queue_obj is not None and sub.consumer_tag is not None:
                try:
                    await asyncio.wait_for(sub.queue_obj.cancel(sub.consumer_tag), 5.0)
                except Exception:  # the channel may already be gone; unacked ones requeue
                    log.warning("could not cancel consumer", extra={"queue": sub.queue})
            sub.consumer_tag = None
        try:
            await asyncio.wait_for(self._in_flight.idle.wait(), grace_seconds)
        except TimeoutError:
            log.warning("handlers still running at shutdown; their messages will be redelivered")

    async def close(self) -> None:
        """Stop consuming and close the connection (unacked messages return to their queues)."""
        await self.stop_consuming()
        for sub in self._subscriptions:
            if sub.batches is not None:
                await sub.batches.stop()
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed:
            await connection.close()

    def is_ready(self) -> bool:
        """Tell whether the connection and the publish channel are open."""
        return (
            self._connection is not None
            and not self._connection.is_closed
            and self._publish_channel is not None
            and not self._publish_channel.is_closed
        )

    # ------------------------------------------------------------------ publishing

    async def publish(self, event: Event, *, correlation_id: str | None = None) -> None:
        """Publish one of this service's events and wait for the broker's confirm."""
        await self.publish_encoded(encode_event(event, correlation_id))

    async def publish_encoded(self, encoded: EncodedEvent) -> None:
        """Publish an already encoded event (e.g. from an outbox) and wait for the confirm."""
        producer = encoded.routing_key.split(".", 1)[0]
        if producer != self.service:
            raise ValueError(f"{self.service} may not publish {encoded.routing_key}")
        message = aio_pika.Message(
            encoded.body,
            content_type=CLOUDEVENTS_CONTENT_TYPE,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=encoded.event_id,
            correlation_id=encoded.correlation_id,
            type=encoded.ce_type,
            app_id=self.service,
            headers={
                topology.CORRELATION_HEADER: encoded.correlation_id or "",
                topology.ATTEMPT_HEADER: 1,
            },
        )
        await self._confirmed_publish(
            topology.exchange_name(self.service), encoded.routing_key, message
        )
        self._published.labels(encoded.routing_key).inc()

    async def replay(self, queue: str, body: bytes, *, message_id: str | None) -> None:
        """Send a parked message back to the handler queue that gave up on it, as a first
        attempt (its handler is idempotent: a message handled before changes nothing)."""
        message = aio_pika.Message(
            body,
            content_type=CLOUDEVENTS_CONTENT_TYPE,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=message_id,
            app_id=self.service,
            headers={
                topology.CORRELATION_HEADER: current_correlation_id() or "",
                topology.ATTEMPT_HEADER: 1,
            },
        )
        # The requeue exchange routes by handler queue name to that queue only.
        await self._confirmed_publish(topology.REQUEUE_EXCHANGE, queue, message)

    async def _confirmed_publish(
        self, exchange: str, routing_key: str, message: aio_pika.Message
    ) -> None:
        target = self._exchanges.get(exchange)
        if target is None or not self.is_ready():
            self._publish_failures.inc()
            raise PublishFailed("not connected to RabbitMQ")
        try:
            # aiormq keeps one deadline around the whole publish and its confirm, in this
            # task (no wait_for task per step): a second one here would only cost the hot path.
            await target.publish(
                message, routing_key=routing_key, mandatory=True, timeout=self.publish_timeout
            )
        except Exception as exc:
            self._publish_failures.inc()
            raise PublishFailed(f"{exchange}/{routing_key}: {exc!r}") from exc

    # ------------------------------------------------------------------ consuming

    def _make_callback(
        self, sub: _Subscription
    ) -> Callable[[AbstractIncomingMessage], Awaitable[None]]:
        return self._tracked(lambda message: self._handle(sub, message))

    def _watch_callback(
        self, sub: _Subscription, watcher: _Watcher
    ) -> Callable[[AbstractIncomingMessage], Awaitable[None]]:
        async def watch(message: AbstractIncomingMessage) -> None:
            attempt = _as_int((message.headers or {}).get(WATCH_ATTEMPT_HEADER), 1)
            parked = read_parked(message)
            try:
                await watcher.handler(parked)
            except Exception as exc:
                log.warning("parked-message watcher failed", extra={"queue": sub.queue})
                if attempt >= self.max_attempts:
                    await self._park(sub, message, attempt, exc)
                else:
                    # The retry comes back under the watcher's own routing key: keep the origin.
                    again = {WATCH_ATTEMPT_HEADER: attempt + 1, PARKED_FROM_HEADER: parked.queue}
                    await self._retry_later(sub, message, attempt, again)
            else:
                await message.ack()
                self._consumed.labels(sub.queue, "acked").inc()

        return self._tracked(watch)

    def _tracked(
        self, handle: Callable[[AbstractIncomingMessage], Awaitable[None]]
    ) -> Callable[[AbstractIncomingMessage], Awaitable[None]]:
        """Count a consumer's messages in flight, so that shutdown can wait for them."""

        async def on_message(message: AbstractIncomingMessage) -> None:
            self._in_flight.count += 1
            self._in_flight.idle.clear()
            try:
                await handle(message)
            finally:
                self._in_flight.count -= 1
                if self._in_flight.count == 0:
                    self._in_flight.idle.set()

        return on_message

    def _tracked_until_settled(
        self, sub: _Subscription
    ) -> Callable[[AbstractIncomingMessage], Awaitable[None]]:
        """Read a batched message as it arrives and count it in flight until its batch settles
        it (one that cannot be read is parked at once)."""
        batches = sub.batches
        assert batches is not None

        async def on_message(message: AbstractIncomingMessage) -> None:
            self._in_flight.count += 1
            self._in_flight.idle.clear()
            decoded = await self._decode(sub, message)
            if decoded is None:
                self._settled(1)
                return
            event, delivery = decoded
            key = sub.batch_key(event) if sub.batch_key else ""
            batches.add((message, event, delivery), key)

        return on_message

    def _settled(self, count: int) -> None:
        self._in_flight.count -= count
        if self._in_flight.count == 0:
            self._in_flight.idle.set()

    def _broadcast_callback(
        self, sub: _Subscription
    ) -> Callable[[AbstractIncomingMessage], Awaitable[None]]:
        async def on_message(message: AbstractIncomingMessage) -> None:
            try:
                event, correlation_id = decode_cloudevent(message.body)
                if isinstance(event, sub.event_types):
                    await sub.handler(event, Delivery(sub.queue, 1, False, correlation_id))
            except Exception:
                log.exception("broadcast handler failed", extra={"queue": sub.queue})

        return on_message

    async def _handle(self, sub: _Subscription, message: AbstractIncomingMessage) -> None:
        decoded = await self._decode(sub, message)
        if decoded is None:
            return
        event, delivery = decoded
        token = bind_correlation_id(delivery.correlation_id)
        started = time.perf_counter()
        try:
            await self._settle(sub, message, delivery, lambda: sub.handler(event, delivery))
        finally:
            self._handle_seconds.labels(sub.queue).observe(time.perf_counter() - started)
            reset_correlation_id(token)

    async def _decode(
        self, sub: _Subscription, message: AbstractIncomingMessage
    ) -> tuple[Event, Delivery] | None:
        """Read a message for `sub`'s handler; park it (and return None) if it cannot be read."""
        headers = message.headers or {}
        attempt = _as_int(headers.get(topology.ATTEMPT_HEADER), 1)
        correlation_id = message.correlation_id or _as_str(headers.get(topology.CORRELATION_HEADER))
        try:
            event, _ = decode_cloudevent(message.body)
            if not isinstance(event, sub.event_types):
                raise PermanentFailure(f"{type(event).__name__} is not handled here")
        except Exception as exc:
            log.error("undecodable message", extra={"queue": sub.queue, "error": repr(exc)})
            await self._park(sub, message, attempt, exc)
            return None
        return event, Delivery(sub.queue, attempt, bool(message.redelivered), correlation_id)

    async def _settle(
        self,
        sub: _Subscription,
        message: AbstractIncomingMessage,
        delivery: Delivery,
        handle: Callable[[], Awaitable[None]],
    ) -> None:
        """Run `handle`, then ack the message, or retry it later, or park it."""
        attempt = delivery.attempt
        try:
            await handle()
        except PermanentFailure as exc:
            log.error("permanent failure", extra={"queue": sub.queue, "error": repr(exc)})
            await self._park(sub, message, attempt, exc)
        except Exception as exc:
            log.warning(
                "handler failed",
                extra={"queue": sub.queue, "attempt": attempt, "error": repr(exc)},
                exc_info=exc,
            )
            if attempt >= self.max_attempts:
                await self._park(sub, message, attempt, exc)
            else:
                await self._retry_later(sub, message, attempt)
        else:
            await message.ack()
            self._consumed.labels(sub.queue, "acked").inc()

    async def _handle_batch(
        self, sub: _Subscription, handler: BatchHandler, arrived: list[_Arrived]
    ) -> None:
        """Handle messages together; if that fails, each alone (see `subscribe_batches`)."""
        started = time.perf_counter()
        try:
            if len(arrived) == 1:  # a batch of one is settled as any single message is
                await self._settle_alone(sub, *arrived[0])
                return
            try:
                await handler([(event, delivery) for _, event, delivery in arrived])
            except Exception as exc:
                log.warning(
                    "batch failed; handling its messages one by one",
                    extra={"queue": sub.queue, "size": len(arrived), "error": repr(exc)},
                )
                for message, event, delivery in arrived:
                    await self._settle_alone(sub, message, event, delivery)
            else:
                for message, _, _ in arrived:
                    await message.ack()
                self._consumed.labels(sub.queue, "acked").inc(len(arrived))
        finally:
            self._handle_seconds.labels(sub.queue).observe(time.perf_counter() - started)
            self._settled(len(arrived))

    async def _settle_alone(
        self, sub: _Subscription, message: AbstractIncomingMessage, event: Event, delivery: Delivery
    ) -> None:
        token = bind_correlation_id(delivery.correlation_id)
        try:
            await self._settle(sub, message, delivery, partial(sub.handler, event, delivery))
        finally:
            reset_correlation_id(token)

    def _copy(self, message: AbstractIncomingMessage, headers: dict[str, Any]) -> aio_pika.Message:
        # The broker's own dead-letter bookkeeping (x-death, x-first-death-*) is dropped: it
        # describes the old message, and RabbitMQ acts on it if a client publishes it back.
        kept = {
            key: value
            for key, value in (message.headers or {}).items()
            if not key.startswith(("x-death", "x-first-death", "x-last-death"))
        }
        return aio_pika.Message(
            message.body,
            content_type=message.content_type,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=message.message_id,
            correlation_id=message.correlation_id,
            type=message.type,
            app_id=message.app_id,
            headers={**kept, **headers},
        )

    async def _retry_later(
        self,
        sub: _Subscription,
        message: AbstractIncomingMessage,
        attempt: int,
        headers: dict[str, Any] | None = None,
    ) -> None:
        delay_ms = self.retry_delays_ms[min(attempt - 1, len(self.retry_delays_ms) - 1)]
        copy = self._copy(
            message,
            {
                **(headers or {topology.ATTEMPT_HEADER: attempt + 1}),
                topology.DELAY_HEADER: topology.delay_tag(delay_ms),
            },
        )
        await self._forward_then_ack(sub, message, topology.DELAY_EXCHANGE, copy, "retried")

    async def _park(
        self, sub: _Subscription, message: AbstractIncomingMessage, attempt: int, exc: BaseException
    ) -> None:
        copy = self._copy(
            message,
            {topology.ATTEMPT_HEADER: attempt, topology.ERROR_HEADER: repr(exc)[:1000]},
        )
        await self._forward_then_ack(
            sub, message, topology.DEAD_LETTER_EXCHANGE, copy, "dead_lettered"
        )

    async def _forward_then_ack(
        self,
        sub: _Subscription,
        message: AbstractIncomingMessage,
        exchange: str,
        copy: aio_pika.Message,
        outcome: str,
    ) -> None:
        try:
            await self._confirmed_publish(exchange, sub.queue, copy)
        except PublishFailed:
            # Not forwarded: give it back to the queue; the delivery limit bounds the loop.
            log.exception("could not forward failed message", extra={"queue": sub.queue})
            await message.nack(requeue=True)
            return
        await message.ack()
        self._consumed.labels(sub.queue, outcome).inc()


def _as_int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _as_str(value: Any) -> str | None:
    if isinstance(value, bytes):
        return value.decode(errors="replace") or None
    return str(value) if value else None
