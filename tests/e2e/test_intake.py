"""Hazard intake's front door: retries never double a report, reused keys are refused."""

from __future__ import annotations

import asyncio
import json
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


async def test_hundred_concurrent_retries_make_one_report_and_identical_answers(
    platform: Platform, http: httpx.AsyncClient
) -> None:
    teacher = await ApiClient.login(platform, http, "demo-teacher")
    acked_before = await _acked(http, platform)
    key = uuid.uuid4().hex
    answers = await asyncio.gather(
        *(teacher.post("hazard_intake", "/v1/reports", REPORT, key=key) for _ in range(100))
    )
    assert {a.status_code for a in answers} == {202}
    assert len({a.text for a in answers}) == 1
    report_id = answers[0].json()["report_id"]

    mongo: AsyncMongoClient[dict] = AsyncMongoClient(platform.infra.mongo_url)
    hazards = mongo[platform.database("hazard_cases")]["hazards"]
    await wait_until(lambda: hazards.find_one({"_id": report_id}), what="the hazard")

    # All 100 messages handled (acked) by the case service before counting hazards.
    async def handled() -> bool:
        return await _acked(http, platform) >= acked_before + 100

    await wait_until(handled, timeout=60, what="the case service to handle all 100")
    assert await hazards.count_documents({"description": REPORT["description"]}) == 1
    await mongo.close()


async def test_same_key_with_another_body_is_refused(
    platform: Platform, http: httpx.AsyncClient
) -> None:
    teacher = await ApiClient.login(platform, http, "demo-teacher")
    key = uuid.uuid4().hex
    first = await teacher.post("hazard_intake", "/v1/reports", REPORT, key=key)
    assert first.status_code == 202
    changed = {**REPORT, "description": "另一条完全不同的上报"}
    again = await teacher.post("hazard_intake", "/v1/reports", changed, key=key)
    assert again.status_code == 422
    assert again.json()["error"]["code"] == "idempotency_key_reused"
    same = await teacher.post("hazard_intake", "/v1/reports", REPORT, key=key)
    assert same.json() == first.json()


async def test_fast_lane_and_route_answer_one_report_alike(
    platform: Platform, http: httpx.AsyncClient
) -> None:
    """A well-formed report takes the fast lane; one sent as another JSON type takes the
    FastAPI route. Both must see one report behind one key, answer it byte for byte alike,
    and count it in the request metrics."""
    teacher = await ApiClient.login(platform, http, "demo-teacher")
    url = platform.url("hazard_intake") + "/v1/reports"
    key = uuid.uuid4().hex
    # FastAPI reads any +json type as JSON; the fast lane takes application/json only.
    routed_headers = {**teacher.headers, "Content-Type": "application/report+json"}
    counted_before = await _reports_answered(http, platform)
    fast = await teacher.post("hazard_intake", "/v1/reports", REPORT, key=key)
    routed = await http.post(
        url,
        content=json.dumps(REPORT).encode(),
        headers={**routed_headers, "Idempotency-Key": key},
    )
    assert (fast.status_code, routed.status_code) == (202, 202)
    assert routed.content == fast.content
    assert routed.headers["content-type"] == fast.headers["content-type"]
    assert fast.headers["x-correlation-id"]
    changed = json.dumps({**REPORT, "description": "换了内容的上报"}).encode()
    reused = await http.post(
        url, content=changed, headers={**routed_headers, "Idempotency-Key": key}
    )
    assert reused.status_code == 422
    assert await _reports_answered(http, platform) == counted_before + 2


ACKED = (
    'xiaoan_hazard_cases_messages_consumed_total{outcome="acked",queue="hazard_cases.open_hazards"}'
)


ANSWERED = (
    'xiaoan_hazard_intake_http_requests_total{method="POST",route="/v1/reports",status="202"}'
)


async def _reports_answered(http: httpx.AsyncClient, platform: Platform) -> float:
    text = (await http.get(platform.url("hazard_intake") + "/metrics")).text
    line = next((row for row in text.splitlines() if row.startswith(ANSWERED)), f"{ANSWERED} 0")
    return float(line.rsplit(" ", 1)[1])


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
