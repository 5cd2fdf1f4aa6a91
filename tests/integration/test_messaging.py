"""Messaging on a real RabbitMQ: confirms, acks after the write, retries, dead letters, dedupe."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import aio_pika
import pytest
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.clock import utc_now
from shared.events import PersonRef, ReportSubmitted
from shared.messaging import Broker, Delivery, ParkedMessage, PermanentFailure, PublishFailed
from shared.messaging.topology import (
    ATTEMPT_HEADER,
    ERROR_HEADER,
    dead_letter_queue_name,
    exchange_name,
)
from shared.observability.correlation import (
    bind_correlation_id,
    current_correlation_id,
    reset_correlation_id,
)
from shared.observability.metrics import ServiceMetrics
from tests.support.servers import RabbitAdmin
from tests.support.waiting import wait_until

FAST_RETRIES = (50, 100)


def a_report(report_id: str = "r-1") -> ReportSubmitted:
    return ReportSubmitted(
        report_id=report_id,
        point_id="point-1",
        grid_id="s",
        grid_path="/b/t/s/",
        category="fire",
        description="三楼灭火器过期",
        location=None,
        photo_ids=(),
        reporter=PersonRef(person_id="t-1", name="王老师"),
        reporter_scope=("/b/t/s/",),
        received_at=utc_now(),
    )


BrokerFactory = Callable[[str], Awaitable[Broker]]


@pytest.fixture
async def make_broker(amqp_url: str) -> AsyncIterator[BrokerFactory]:
    brokers: list[Broker] = []

    async def make(service: str, max_attempts: int = 3) -> Broker:
        broker = Broker(
            url=amqp_url,
            service=service,
            metrics=ServiceMetrics(f"{service}_{len(brokers)}"),
            retry_delays_ms=FAST_RETRIES,
            max_attempts=max_attempts,
            prefetch=16,
        )
        await broker.connect()
        brokers.append(broker)
        return broker

    yield make
    for broker in brokers:
        await broker.close()


def idempotent_store(db: AsyncDatabase[dict], calls: list[str]) -> Callable:
    """A handler that writes one document per report id, as real handlers do."""

    async def handle(event: ReportSubmitted, delivery: Delivery) -> None:
        calls.append(event.event_id)
        # Already stored by an earlier delivery: no second effect.
        with contextlib.suppress(DuplicateKeyError):
            await db.hazards.insert_one({"_id": event.report_id, "event_id": event.event_id})

    return handle


async def test_confirmed_event_is_stored_and_acked(
    make_broker: BrokerFactory, db: AsyncDatabase[dict], rabbit_admin: RabbitAdmin, vhost: str
) -> None:
    calls: list[str] = []
    consumer = await make_broker("hazard_cases")
    queue = consumer.subscribe("store", [ReportSubmitted], idempotent_store(db, calls))
    await consumer.start_consuming()
    producer = await make_broker("hazard_intake")

    await producer.publish(a_report("r-confirmed"))

    stored = await wait_until(lambda: db.hazards.find_one({"_id": "r-confirmed"}), what="write")
    assert stored is not None

    async def queue_drained() -> bool:
        return await rabbit_admin.queue_depth(vhost, queue) == (0, 0)

    await wait_until(queue_drained, timeout=15, what="ack of the message")


async def test_unroutable_publish_raises(make_broker: BrokerFactory) -> None:
    producer = await make_broker("hazard_intake")
    # No queue is bound to this event type in this fresh vhost: the broker returns it.
    with pytest.raises(PublishFailed):
        await producer.publish(a_report())


async def test_service_cannot_publish_another_services_events(make_broker: BrokerFactory) -> None:
    impostor = await make_broker("notifications")
    with pytest.raises(ValueError, match="may not publish"):
        await impostor.publish(a_report())


async def test_poison_message_is_dead_lettered_after_bounded_attempts(
    make_broker: BrokerFactory, rabbit_admin: RabbitAdmin, vhost: str
) -> None:
    attempts: list[int] = []

    async def always_fails(event: ReportSubmitted, delivery: Delivery) -> None:
        attempts.append(delivery.attempt)
        raise RuntimeError("database said no")

    consumer = await make_broker("hazard_cases", max_attempts=3)
    queue = consumer.subscribe("poisoned", [ReportSubmitted], always_fails)
    await consumer.start_consuming()
    producer = await make_broker("hazard_intake")
    report = a_report("r-poison")

    await producer.publish(report)

    async def parked() -> list[dict]:
        return await rabbit_admin.get_messages(vhost, dead_letter_queue_name(queue))

    dead = await wait_until(parked, timeout=15, what="the dead-letter queue")
    assert attempts == [1, 2, 3]
    assert len(dead) == 1
    assert dead[0]["properties"]["message_id"] == report.event_id
    assert dead[0]["properties"]["headers"][ATTEMPT_HEADER] == 3
    assert "database said no" in dead[0]["properties"]["headers"][ERROR_HEADER]
    assert await rabbit_admin.queue_depth(vhost, queue) == (0, 0)


async def test_permanent_failure_skips_retries(
    make_broker: BrokerFactory, rabbit_admin: RabbitAdmin, vhost: str
) -> None:
    attempts: list[int] = []

    async def rejects(event: ReportSubmitted, delivery: Delivery) -> None:
        attempts.append(delivery.attempt)
        raise PermanentFailure("point does not exist")

    consumer = await make_broker("hazard_cases", max_attempts=5)
    queue = consumer.subscribe("strict", [ReportSubmitted], rejects)
    await consumer.start_consuming()
    await (await make_broker("hazard_intake")).publish(a_report())

    dead = await wait_until(
        lambda: rabbit_admin.get_messages(vhost, dead_letter_queue_name(queue)),
        timeout=15,
        what="the dead-letter queue",
    )
    assert attempts == [1]
    assert len(dead) == 1


async def test_undecodable_message_goes_straight_to_dead_letters(
    make_broker: BrokerFactory, amqp_url: str, rabbit_admin: RabbitAdmin, vhost: str
) -> None:
    calls: list[str] = []

    async def handler(event: ReportSubmitted, delivery: Delivery) -> None:
        calls.append(event.event_id)

    consumer = await make_broker("hazard_cases")
    queue = consumer.subscribe("strict", [ReportSubmitted], handler)
    await consumer.start_consuming()

    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(exchange_name("hazard_intake"))
        await exchange.publish(
            aio_pika.Message(b"{not json", message_id="garbage"),
            routing_key=ReportSubmitted.routing_key,
        )

    dead = await wait_until(
        lambda: rabbit_admin.get_messages(vhost, dead_letter_queue_name(queue)),
        timeout=15,
        what="the dead-letter queue",
    )
    assert dead[0]["properties"]["message_id"] == "garbage"
    assert calls == []


async def test_a_parked_message_reaches_the_watcher_and_stays_for_the_operator(
    make_broker: BrokerFactory, amqp_url: str, rabbit_admin: RabbitAdmin, vhost: str
) -> None:
    heard: list[ParkedMessage] = []
    watcher_failures = 0

    async def watch(parked: ParkedMessage) -> None:
        nonlocal watcher_failures
        if watcher_failures == 0:  # the watcher's own hiccup is retried, not looped back
            watcher_failures += 1
            raise RuntimeError("flag store unavailable")
        heard.append(parked)

    async def rejects(event: ReportSubmitted, delivery: Delivery) -> None:
        raise PermanentFailure("point does not exist")

    watcher = await make_broker("hazard_cases")
    watcher.watch_parked("parked", watch)
    await watcher.start_consuming()
    consumer = await make_broker("notifications")
    queue = consumer.subscribe("strict", [ReportSubmitted], rejects)
    await consumer.start_consuming()
    report = a_report("r-parked")
    await (await make_broker("hazard_intake")).publish(report)
    # A message that is not even JSON is parked too, and still reaches the watcher.
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        await channel.default_exchange.publish(
            aio_pika.Message(b"{not json", message_id="garbage"), routing_key=queue
        )

    async def both_heard() -> bool:
        return len(heard) == 2

    await wait_until(both_heard, timeout=20, what="both parked copies")
    by_id = {parked.event_id: parked for parked in heard}
    parked = by_id[report.event_id]
    assert parked.queue == queue
    assert parked.service == "notifications"
    assert "point does not exist" in parked.error
    assert parked.event_type == ReportSubmitted.routing_key
    assert parked.data is not None
    assert parked.data["report_id"] == "r-parked"
    assert by_id["garbage"].data is None
    assert by_id["garbage"].body == "{not json"
    # The operator's copies are still in the handler's dead-letter queue.
    kept = await rabbit_admin.get_messages(vhost, dead_letter_queue_name(queue))
    assert len(kept) == 2
    assert watcher_failures == 1


async def test_redelivered_message_has_no_second_effect(
    make_broker: BrokerFactory, db: AsyncDatabase[dict]
) -> None:
    calls: list[str] = []
    store = idempotent_store(db, calls)

    async def crashes_after_write_once(event: ReportSubmitted, delivery: Delivery) -> None:
        await store(event, delivery)
        if delivery.attempt == 1:
            raise ConnectionError("lost the ack")  # the write happened, the ack did not

    consumer = await make_broker("hazard_cases")
    consumer.subscribe("store", [ReportSubmitted], crashes_after_write_once)
    await consumer.start_consuming()
    producer = await make_broker("hazard_intake")
    report = a_report("r-twice")

    await producer.publish(report)
    await producer.publish(report)  # and a relay that published it twice

    await wait_until(lambda: _length(calls, 3), timeout=15, what="three deliveries")
    assert await db.hazards.count_documents({}) == 1


async def test_unacked_message_returns_after_consumer_dies(
    make_broker: BrokerFactory, db: AsyncDatabase[dict], amqp_url: str
) -> None:
    first_delivery = asyncio.Event()
    never = asyncio.Event()

    async def hangs(event: ReportSubmitted, delivery: Delivery) -> None:
        first_delivery.set()
        await never.wait()

    dying = await make_broker("hazard_cases")
    dying.subscribe("store", [ReportSubmitted], hangs)
    await dying.start_consuming()
    producer = await make_broker("hazard_intake")
    await producer.publish(a_report("r-crash"))
    await asyncio.wait_for(first_delivery.wait(), 10)

    # The process dies: its connection drops with the message unacked.
    assert dying._connection is not None
    await dying._connection.close()

    calls: list[str] = []
    survivor = await make_broker("hazard_cases")
    survivor.subscribe("store", [ReportSubmitted], idempotent_store(db, calls))
    await survivor.start_consuming()

    await wait_until(lambda: db.hazards.find_one({"_id": "r-crash"}), what="redelivery")
    assert await db.hazards.count_documents({}) == 1
    never.set()


async def _length(items: list, n: int) -> bool:
    return len(items) >= n


async def test_correlation_id_travels_from_publisher_to_handler(make_broker: BrokerFactory) -> None:
    seen: list[str | None] = []

    async def handler(event: ReportSubmitted, delivery: Delivery) -> None:
        seen.append(delivery.correlation_id)
        seen.append(current_correlation_id())  # what the handler's logs and events carry

    consumer = await make_broker("hazard_cases")
    consumer.subscribe("store", [ReportSubmitted], handler)
    await consumer.start_consuming()
    producer = await make_broker("hazard_intake")
    token = bind_correlation_id("req-7f3a")  # as the HTTP middleware does per request
    try:
        await producer.publish(a_report())
    finally:
        reset_correlation_id(token)

    await wait_until(lambda: _length(seen, 2), what="the delivery")
    assert seen == ["req-7f3a", "req-7f3a"]


async def test_broadcast_reaches_every_replica_while_work_goes_to_one(
    make_broker: BrokerFactory,
) -> None:
    heard: list[str] = []
    worked: list[str] = []

    for replica in ("a", "b"):
        broker = await make_broker("hazard_cases")

        async def hear(event: ReportSubmitted, delivery: Delivery, name: str = replica) -> None:
            heard.append(name)

        async def work(event: ReportSubmitted, delivery: Delivery, name: str = replica) -> None:
            worked.append(name)

        broker.subscribe_broadcast("cache", [ReportSubmitted], hear)
        broker.subscribe("store", [ReportSubmitted], work)
        await broker.start_consuming()

    await (await make_broker("hazard_intake")).publish(a_report())

    await wait_until(lambda: _length(heard, 2), what="both replicas to hear it")
    await wait_until(lambda: _length(worked, 1), what="one replica to do the work")
    assert sorted(heard) == ["a", "b"]
    assert len(worked) == 1


class StallingRelay:
    """A TCP relay to the broker that can stop passing the broker's replies (a stalled link)."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.replies = asyncio.Event()
        self.replies.set()
        self.server: asyncio.Server | None = None
        self.pipes: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _serve(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> None:
        broker_in, broker_out = await asyncio.open_connection(*self.target)
        for pipe in (
            self._pipe(client_in, broker_out, None),
            self._pipe(broker_in, client_out, self.replies),
        ):
            task = asyncio.create_task(pipe)
            self.pipes.add(task)
            task.add_done_callback(self.pipes.discard)

    async def _pipe(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, gate: asyncio.Event | None
    ) -> None:
        with contextlib.suppress(OSError):
            while chunk := await source.read(65536):
                if gate is not None:
                    await gate.wait()
                sink.write(chunk)
                await sink.drain()
        sink.close()

    async def close(self) -> None:
        self.replies.set()
        for task in list(self.pipes):
            task.cancel()
        if self.server is not None:
            self.server.close()


async def test_a_publish_the_broker_never_confirms_fails_at_its_deadline(
    make_broker: BrokerFactory, amqp_url: str
) -> None:
    consumer = await make_broker("hazard_cases")
    consumer.subscribe("store", [ReportSubmitted], lambda event, delivery: asyncio.sleep(0))
    await consumer.start_consuming()
    url = aio_pika.connection.URL(amqp_url)
    relay = StallingRelay(url.host or "127.0.0.1", url.port or 5672)
    producer = Broker(
        url=str(url.with_port(await relay.start())),
        service="hazard_intake",
        metrics=ServiceMetrics("hazard_intake_stalled"),
        retry_delays_ms=FAST_RETRIES,
        publish_timeout=0.5,
    )
    try:
        await producer.connect()
        await producer.publish(a_report("r-through"))  # the link works
        relay.replies.clear()  # the broker's confirms stop reaching the producer
        started = asyncio.get_running_loop().time()
        with pytest.raises(PublishFailed):
            await asyncio.wait_for(producer.publish(a_report("r-stalled")), 10)
        # A phone gets its 503 and retries, instead of waiting on a link that went quiet.
        assert asyncio.get_running_loop().time() - started < 3
    finally:
        relay.replies.set()
        await producer.close()
        await relay.close()


async def test_a_batch_handler_gets_what_arrived_together_and_a_poison_one_spoils_none(
    make_broker: BrokerFactory, rabbit_admin: RabbitAdmin, vhost: str
) -> None:
    consumer = await make_broker("hazard_cases")
    batches: list[list[str]] = []

    async def handle(pairs: list[tuple[ReportSubmitted, Delivery]]) -> None:
        ids = [event.report_id for event, _ in pairs]
        batches.append(ids)
        if "r-poison" in ids:
            raise ValueError("cannot be handled")

    queue = consumer.subscribe_batches(
        "batched", [ReportSubmitted], handle, max_batch=50, max_wait_seconds=0.2
    )
    await consumer.start_consuming()
    producer = await make_broker("hazard_intake")
    ids = [f"r-{n}" for n in range(30)] + ["r-poison"] + [f"r-{n}" for n in range(30, 40)]
    reports = [a_report(report_id) for report_id in ids]
    await asyncio.gather(*(producer.publish(report) for report in reports))

    async def parked() -> list[dict]:
        return await rabbit_admin.get_messages(vhost, dead_letter_queue_name(queue))

    kept = await wait_until(parked, timeout=20, what="the poison report to be parked")
    handled = [report_id for batch in batches for report_id in batch]
    # They came together: far fewer calls than messages.
    assert len(batches[0]) > 10
    # The batch holding the poison one failed; each of its messages was then handled alone, and
    # only the poison one, failing every time, was parked.
    assert [m["properties"]["message_id"] for m in kept] == [reports[30].event_id]
    assert set(handled) == set(ids)
    alone = [batch[0] for batch in batches if len(batch) == 1]
    assert alone.count("r-poison") == 3  # its attempts (max_attempts=3)
    assert consumer.is_ready()
