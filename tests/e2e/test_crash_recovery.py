"""Nothing accepted is lost or doubled when the case service dies mid-stream (SIGKILL)."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from pymongo import AsyncMongoClient

from tests.support.client import ApiClient
from tests.support.platform import Platform
from tests.support.waiting import wait_until

REPORTS = 1_000
CONCURRENCY = 32


async def test_sigkill_of_hazard_cases_loses_and_doubles_nothing(
    platform: Platform, http: httpx.AsyncClient
) -> None:
    teacher = await ApiClient.login(platform, http, "demo-teacher")
    mongo: AsyncMongoClient[dict] = AsyncMongoClient(platform.infra.mongo_url)
    hazards = mongo[platform.database("hazard_cases")]["hazards"]
    notifications = mongo[platform.database("notifications")]["notifications"]
    teacher_id = "demo-p-teacher"
    keys = [uuid.uuid4().hex for _ in range(REPORTS)]
    accepted: dict[str, str] = {}

    async def send(key: str) -> None:
        body = {
            "point_id": "demo-point-fire-exit",
            "category": "fire",
            "description": f"灭火器压力不足（巡查记录 {key[:6]}）",
        }
        # A phone retries with the same key until it gets a 2xx.
        for _ in range(20):
            response = await teacher.post("hazard_intake", "/v1/reports", body, key=key)
            if response.status_code == 202:
                accepted[key] = response.json()["report_id"]
                return
            await asyncio.sleep(0.2)
        raise AssertionError(f"report {key} never accepted: {response.status_code} {response.text}")

    async def sender(share: list[str]) -> None:
        for key in share:
            await send(key)

    senders = asyncio.gather(*(sender(keys[i::CONCURRENCY]) for i in range(CONCURRENCY)))

    # Kill the case service while reports are being stored, then bring it back.
    await wait_until(
        lambda: _at_least(hazards, teacher_id, 100), timeout=60, what="the first 100 hazards"
    )
    platform.services["hazard_cases"].kill()
    killed_at = await hazards.count_documents({"reporter.person_id": teacher_id})
    assert killed_at < REPORTS, "the kill came too late to prove anything"
    await platform.restart("hazard_cases")
    await senders
    assert len(accepted) == REPORTS

    await wait_until(
        lambda: _at_least(hazards, teacher_id, REPORTS), timeout=180, what="1,000 hazards"
    )
    await wait_until(
        lambda: _notified(notifications, teacher_id, REPORTS),
        timeout=180,
        what="1,000 notifications",
    )

    # Exactly once: the ids are the accepted report ids, each stored once, each notified once.
    stored_ids = await hazards.distinct("_id", {"reporter.person_id": teacher_id})
    assert sorted(stored_ids) == sorted(accepted.values())
    assert await hazards.count_documents({"reporter.person_id": teacher_id}) == REPORTS
    assert await notifications.count_documents({"recipient_id": teacher_id}) == REPORTS
    notified = await notifications.distinct("hazard_id", {"recipient_id": teacher_id})
    assert len(notified) == REPORTS

    # And the API tells the teacher the same.
    page = (await teacher.get("hazard_cases", "/v1/hazards", limit=1)).json()
    assert page["total"] == REPORTS
    inbox = (await teacher.get("notifications", "/v1/notifications", limit=1)).json()
    assert inbox["unread"] == REPORTS
    await mongo.close()


async def _at_least(collection, teacher_id: str, n: int) -> bool:  # type: ignore[no-untyped-def]
    return await collection.count_documents({"reporter.person_id": teacher_id}) >= n


async def _notified(collection, teacher_id: str, n: int) -> bool:  # type: ignore[no-untyped-def]
    return await collection.count_documents({"recipient_id": teacher_id}) >= n
