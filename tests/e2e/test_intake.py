"""Hazard intake's front door: retries never double a report, reused keys are refused."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from pymongo import AsyncMongoClient

from shared.events import HazardOpened, ReportSubmitted
from shared.messaging.topology import exchange_name
from tests.support.client import ApiClient
from tests.support.platform import Platform
from tests.support.servers import RabbitAdmin
from tests.support.waiting import wait_until

REPORT = {
    "point_id": "demo-point-kitchen",
    "category": "food_hygiene",
    "description": "留样柜温度异常",
}


async def test_hundred_concurrent_retries_make_one_report_and_replay_one_answer(
    platform: Platform, http: httpx.AsyncClient
) -> None:
    teacher = await ApiClient.login(platform, http, "demo-teacher")
    acked_before = await _acked(http, platform)
    key = uuid.uuid4().hex
    answers = await asyncio.gather(
        *(teacher.post("hazard_intake", "/v1/reports", REPORT, key=key) for _ in range(100))
    )
    # One request publishes; the others arrive while it runs (409: retry shortly) or after
    # (its answer, replayed).
    assert {a.status_code for a in answers} <= {202, 409}
    first = [a for a in answers if a.status_code == 202 and "idempotent-replayed" not in a.headers]
    assert len(first) == 1
    busy = [a for a in answers if a.status_code == 409]
    assert all(a.headers["retry-after"] for a in busy)
    retried = await asyncio.gather(
        *(teacher.post("hazard_intake", "/v1/reports", REPORT, key=key) for _ in busy)
    )
    assert all(a.status_code == 202 for a in retried)
    replays = [a for a in answers + retried if a.status_code == 202]
    assert len({a.text for a in replays}) == 1
    assert all(a.headers["idempotent-replayed"] == "true" for a in replays if a is not first[0])
    report_id = first[0].json()["report_id"]

    mongo: AsyncMongoClient[dict] = AsyncMongoClient(platform.infra.mongo_url)
    hazards = mongo[platform.database("hazard_cases")]["hazards"]
    await wait_until(lambda: hazards.find_one({"_id": report_id}), what="the hazard")

    async def handled() -> bool:
        return await _acked(http, platform) >= acked_before + 1

    await wait_until(handled, timeout=60, what="the case service to handle the report")
    assert await hazards.count_documents({"description": REPORT["description"]}) == 1
    await mongo.close()


async def test_same_key_with_another_body_is_refused_and_a_retry_replayed(
    platform: Platform, http: httpx.AsyncClient
) -> None:
    teacher = await ApiClient.login(platform, http, "demo-teacher")
    key = uuid.uuid4().hex
    first = await teacher.post("hazard_intake", "/v1/reports", REPORT, key=key)
    assert first.status_code == 202
    assert "idempotent-replayed" not in first.headers
    changed = {**REPORT, "description": "另一条完全不同的上报"}
    again = await teacher.post("hazard_intake", "/v1/reports", changed, key=key)
    assert again.status_code == 422
    assert again.json()["error"]["code"] == "idempotency_key_reused"
    same = await teacher.post("hazard_intake", "/v1/reports", REPORT, key=key)
    assert (same.status_code, same.headers["idempotent-replayed"]) == (202, "true")
    assert same.json() == first.json()


ACKED = (
    'xiaoan_hazard_cases_messages_consumed_total{outcome="acked",queue="hazard_cases.open_hazards"}'
)


async def _acked(http: httpx.AsyncClient, platform: Platform) -> float:
    text = (await http.get(platform.url("hazard_cases") + "/metrics")).text
    line = next((row for row in text.splitlines() if row.startswith(ACKED)), f"{ACKED} 0")
    return float(line.rsplit(" ", 1)[1])


async def test_a_report_is_queued_once_at_the_broker(platform: Platform) -> None:
    """Only the case service hears a submitted report; the command centre's feed hears what it
    became. A second queue would make the broker store every report twice at the front door."""
    admin = RabbitAdmin(platform.infra.management_url)
    try:
        queues = await admin.queues_bound(
            platform.vhost, exchange_name("hazard_intake"), ReportSubmitted.routing_key
        )
        outcomes = await admin.queues_bound(
            platform.vhost, exchange_name("hazard_cases"), HazardOpened.routing_key
        )
    finally:
        await admin.close()
    assert queues == ["hazard_cases.open_hazards"]
    assert "command_centre.activity" in outcomes
