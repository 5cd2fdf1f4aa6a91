"""Agencies' dispositions on the real servers: referred once per hazard and agency, bounded per
referral, and appended to the hazard's timeline once however often the event is delivered."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from services.agency_integration.referrals import repository as referrals
from services.agency_integration.referrals.service import refer_hazards
from services.hazard_cases.hazards import agency
from shared.events import (
    AgencyAnswerNoted,
    AgencyDispositionRecorded,
    HazardOpened,
    HazardReferred,
    PersonRef,
)
from shared.messaging import Broker, Delivery
from shared.observability.metrics import ServiceMetrics
from tests.support.waiting import wait_until

TEACHER = PersonRef(person_id="t1", name="王芳")
OFFICER = PersonRef(person_id="p1", name="城关派出所值班室")


def opened(hazard_id: str, category: str = "campus_security") -> HazardOpened:
    return HazardOpened(
        hazard_id=hazard_id,
        report_id=hazard_id,
        point_id=None,
        point_name="校门口",
        grid_id="g",
        grid_path="/c/s/g/",
        school_name="城关镇第一小学",
        category=category,
        risk_grade=None,
        description="校门口有校外人员聚集",
        reporter=TEACHER,
        status="reported",
        reported_at="2026-11-23T08:00:00Z",
        version=1,
    )


def recorded(hazard_id: str, disposition_id: str) -> AgencyDispositionRecorded:
    return AgencyDispositionRecorded(
        disposition_id=disposition_id,
        hazard_id=hazard_id,
        grid_path="/c/s/g/",
        agency_id="police",
        agency_name="城关派出所",
        agency_kind="police",
        kind="dispatched",
        note="已派民警到场",
        acted_at="2026-11-23T09:10:00+08:00",
        officer="民警张明",
        reference=None,
        recorded_by=OFFICER,
    )


async def test_a_hazard_is_referred_once_to_each_agency_it_concerns(
    db: AsyncDatabase[dict],
) -> None:
    area = {"categories": ["campus_security"], "webhook_url": None, "kind": "police"}
    await db["agencies"].insert_many(
        [
            {"_id": "police", "name": "城关派出所", "area_path": "/c/", **area},
            {"_id": "elsewhere", "name": "东关派出所", "area_path": "/d/", **area},
        ]
    )
    referral_id = referrals.referral_id("police", "h1")
    assert await refer_hazards(db, [opened("h1")]) == [referral_id]
    assert await refer_hazards(db, [opened("h1")]) == []  # a redelivered HazardOpened
    assert await refer_hazards(db, [opened("h2", category="fire")]) == []
    referral = await referrals.get(db, "police", "h1")
    assert referral is not None
    assert (referral["agency_name"], referral["grid_path"]) == ("城关派出所", "/c/s/g/")
    assert await referrals.get(db, "elsewhere", "h1") is None
    # The referral is announced, in the same write, once.
    stored = await db[referrals.COLLECTION].find_one({"_id": referral_id})
    (entry,) = stored["outbox"]
    assert entry["routing_key"] == HazardReferred.routing_key
    announced = json.loads(entry["body"])["data"]
    assert announced == {
        "referral_id": referral_id,
        "hazard_id": "h1",
        "agency_id": "police",
        "grid_path": "/c/s/g/",
    }


async def test_a_referral_holds_a_bounded_number_of_dispositions(db: AsyncDatabase[dict]) -> None:
    doc_id = referrals.referral_id("police", "h1")
    await db[referrals.COLLECTION].insert_one({"_id": doc_id, "dispositions": []})
    for n in range(referrals.MAX_DISPOSITIONS):
        item = {"disposition_id": f"d{n}"}
        assert await referrals.add_disposition(db, doc_id, item, recorded("h1", f"d{n}"))
    extra = {"disposition_id": "one-too-many"}
    assert not await referrals.add_disposition(db, doc_id, extra, recorded("h1", "one-too-many"))
    doc = await db[referrals.COLLECTION].find_one({"_id": doc_id})
    assert len(doc["dispositions"]) == len(doc["outbox"]) == referrals.MAX_DISPOSITIONS


@pytest.fixture
async def brokers(amqp_url: str) -> AsyncIterator[tuple[Broker, Broker]]:
    def make(service: str) -> Broker:
        return Broker(
            url=amqp_url, service=service, metrics=ServiceMetrics(service), retry_delays_ms=(50,)
        )

    producer, consumer = make("agency_integration"), make("hazard_cases")
    await producer.connect()
    await consumer.connect()
    yield producer, consumer
    await consumer.close()
    await producer.close()


async def test_a_disposition_delivered_twice_joins_the_timeline_once(
    brokers: tuple[Broker, Broker], db: AsyncDatabase[dict]
) -> None:
    producer, consumer = brokers
    hazards = db["hazards"]
    await hazards.insert_one(
        {
            "_id": "h1",
            "status": "assigned",
            "grid_path": "/c/t/s/",
            "description": "校门口有校外人员聚集",
            "assignee": TEACHER.model_dump(),
            "version": 2,
            "timeline": [{"action": "reported"}, {"action": "assigned"}],
        }
    )
    handled: list[bool] = []

    async def on_disposition(event: AgencyDispositionRecorded, delivery: Delivery) -> None:
        handled.append(await agency.record_disposition(db, event))

    consumer.subscribe("agency_dispositions", [AgencyDispositionRecorded], on_disposition)
    await consumer.start_consuming()
    event = recorded("h1", "d1")
    await producer.publish(event)
    await producer.publish(event)  # e.g. a relay that died after publishing, before removing

    async def both_handled() -> bool:
        return len(handled) == 2

    await wait_until(both_handled, what="both deliveries")
    assert sorted(handled) == [False, True]
    doc = await hazards.find_one({"_id": "h1"})
    assert [e["action"] for e in doc["timeline"]] == ["reported", "assigned", "agency_disposition"]
    entry = doc["timeline"][-1]
    assert entry["note_zh"] == "城关派出所：已出警（民警张明） — 已派民警到场"
    assert entry["responsible"] == TEACHER.model_dump()
    assert (doc["status"], doc["version"]) == ("assigned", 3)
    assert doc[agency.IDS_FIELD] == ["d1"]
    # One announcement for the assignee's inbox, not two.
    assert [entry["routing_key"] for entry in doc["outbox"]] == [AgencyAnswerNoted.routing_key]
