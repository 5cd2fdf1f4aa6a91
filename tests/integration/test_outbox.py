"""The outbox inside a document: published in order, then removed; leftovers found after a crash."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from shared.events import HazardAssigned, HazardOpened, PersonRef
from shared.messaging import Broker, Delivery, EncodedEvent
from shared.messaging.broker import PublishFailed
from shared.observability.metrics import ServiceMetrics
from shared.outbox import OutboxRelay, new_outbox, push_outbox
from tests.support.waiting import wait_until

TEACHER = PersonRef(person_id="t1", name="王芳")


def opened(hazard_id: str) -> HazardOpened:
    return HazardOpened(
        hazard_id=hazard_id,
        report_id=hazard_id,
        point_id=None,
        point_name=None,
        grid_id="g",
        grid_path="/c/g/",
        school_name=None,
        category="fire",
        risk_grade=None,
        description="配电箱未上锁",
        reporter=TEACHER,
        status="reported",
        reported_at="2026-11-23T08:00:00Z",
        version=1,
    )


def assigned(hazard_id: str) -> HazardAssigned:
    return HazardAssigned(
        hazard_id=hazard_id,
        grid_path="/c/g/",
        category="fire",
        description="配电箱未上锁",
        point_name=None,
        assignee=TEACHER,
        assigned_by="system",
        status="assigned",
        version=2,
    )


@pytest.fixture
async def brokers(amqp_url: str) -> AsyncIterator[tuple[Broker, Broker]]:
    def make(service: str) -> Broker:
        return Broker(
            url=amqp_url, service=service, metrics=ServiceMetrics(service), retry_delays_ms=(50,)
        )

    producer, consumer = make("hazard_cases"), make("command_centre")
    await producer.connect()
    await consumer.connect()
    yield producer, consumer
    await consumer.close()
    await producer.close()


async def listen(consumer: Broker) -> list[tuple[str, int]]:
    seen: list[tuple[str, int]] = []

    async def record(event: HazardOpened | HazardAssigned, delivery: Delivery) -> None:
        seen.append((event.hazard_id, event.version))

    consumer.subscribe("board", [HazardOpened, HazardAssigned], record)
    await consumer.start_consuming()
    return seen


async def test_relay_publishes_a_documents_events_in_order_and_empties_its_outbox(
    brokers: tuple[Broker, Broker], db: AsyncDatabase[dict]
) -> None:
    producer, consumer = brokers
    seen = await listen(consumer)
    hazards = db["hazards"]
    relay = OutboxRelay(producer, [hazards], ServiceMetrics("relay"), sweep_interval=60)
    await relay.start()
    try:
        await hazards.insert_one({"_id": "h1", "status": "reported", **new_outbox(opened("h1"))})
        await hazards.update_one(
            {"_id": "h1"}, {"$set": {"status": "assigned"}, **push_outbox(assigned("h1"))}
        )
        relay.notify("hazards", "h1")
        await wait_until(lambda: _has(seen, 2), what="both events")

        async def emptied() -> bool:
            # The consumer may see an event before the relay has taken it off the document.
            return (await hazards.find_one({"_id": "h1"}))["outbox"] == []

        await wait_until(emptied, what="the outbox to be emptied")
    finally:
        await relay.stop()
    assert seen == [("h1", 1), ("h1", 2)]


async def test_sweep_publishes_what_a_crashed_process_left_behind(
    brokers: tuple[Broker, Broker], db: AsyncDatabase[dict]
) -> None:
    producer, consumer = brokers
    seen = await listen(consumer)
    hazards = db["hazards"]
    # Written by a process that died before relaying: nobody calls notify().
    for n in range(5):
        await hazards.insert_one({"_id": f"h{n}", **new_outbox(opened(f"h{n}"))})
    relay = OutboxRelay(producer, [hazards], ServiceMetrics("relay"), sweep_interval=0.1)
    await relay.start()

    async def emptied() -> bool:
        # The consumer may see the last event before the relay has taken it off its document;
        # stopping the relay then would leave it there, for the next start to publish again.
        return await hazards.count_documents({"outbox.0": {"$exists": True}}) == 0

    try:
        await wait_until(lambda: _has(seen, 5), what="the sweep")
        await wait_until(emptied, what="the outboxes to be emptied")
    finally:
        await relay.stop()
    assert sorted(seen) == [(f"h{n}", 1) for n in range(5)]
    assert await hazards.count_documents({"outbox.0": {"$exists": True}}) == 0


async def test_unpublishable_events_stay_in_the_outbox(
    brokers: tuple[Broker, Broker], db: AsyncDatabase[dict]
) -> None:
    producer, _ = brokers  # no consumer: the broker returns the message (mandatory routing)
    hazards = db["hazards"]
    await hazards.insert_one({"_id": "h1", **new_outbox(opened("h1"))})
    relay = OutboxRelay(producer, [hazards], ServiceMetrics("relay"), sweep_interval=60)
    assert await relay.relay_document("hazards", "h1") == 0
    assert len((await hazards.find_one({"_id": "h1"}))["outbox"]) == 1


class FailingOnceBroker:
    """Refuses the first publish (a broker restarting), then passes every publish on."""

    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self.refused = 0

    async def publish_encoded(self, encoded: EncodedEvent) -> None:
        if not self.refused:
            self.refused += 1
            raise PublishFailed("the broker did not confirm")
        await self.broker.publish_encoded(encoded)


async def test_a_failed_publish_goes_out_again_within_seconds_not_at_the_next_sweep(
    brokers: tuple[Broker, Broker], db: AsyncDatabase[dict]
) -> None:
    producer, consumer = brokers
    seen = await listen(consumer)
    hazards = db["hazards"]
    flaky = FailingOnceBroker(producer)
    relay = OutboxRelay(flaky, [hazards], ServiceMetrics("relay"), sweep_interval=600)  # type: ignore[arg-type]
    await relay.start()
    try:
        await hazards.insert_one({"_id": "h1", **new_outbox(opened("h1"))})
        relay.notify("hazards", "h1")
        await wait_until(lambda: _has(seen, 1), timeout=10, what="the event after one refusal")
    finally:
        await relay.stop()
    assert flaky.refused == 1
    assert seen == [("h1", 1)]


async def _has(items: list, n: int) -> bool:
    await asyncio.sleep(0)
    return len(items) >= n


class GatedBroker:
    """Holds every publish until the test opens the gate."""

    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self.gate = asyncio.Event()
        self.waiting = asyncio.Event()

    async def publish_encoded(self, encoded: EncodedEvent) -> None:
        self.waiting.set()
        await self.gate.wait()
        await self.broker.publish_encoded(encoded)


async def test_events_added_while_a_relay_runs_are_not_left_behind(
    brokers: tuple[Broker, Broker], db: AsyncDatabase[dict]
) -> None:
    producer, consumer = brokers
    seen = await listen(consumer)
    hazards = db["hazards"]
    gated = GatedBroker(producer)
    relay = OutboxRelay(gated, [hazards], ServiceMetrics("relay"), sweep_interval=60)  # type: ignore[arg-type]
    await hazards.insert_one({"_id": "h1", **new_outbox(opened("h1"))})
    first = asyncio.create_task(relay.relay_document("hazards", "h1"))
    await gated.waiting.wait()  # the first relay has read the document and is publishing
    await hazards.update_one({"_id": "h1"}, push_outbox(assigned("h1")))
    assert await relay.relay_document("hazards", "h1") == 0  # busy: handed to the running one
    gated.gate.set()
    assert await first == 2
    await wait_until(lambda: _has(seen, 2), what="both events")
    assert seen == [("h1", 1), ("h1", 2)]
    assert (await hazards.find_one({"_id": "h1"}))["outbox"] == []
