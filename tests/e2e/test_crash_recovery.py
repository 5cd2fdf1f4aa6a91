"""Nothing accepted is lost or doubled when the case service dies mid-stream (SIGKILL)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

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
    # Other tests share the platform: count what this one adds to the teacher's views.
    hazards_before = (await teacher.get("hazard_cases", "/v1/hazards", limit=1)).json()["total"]
    unread_before = (await teacher.get("notifications", "/v1/notifications", limit=1)).json()[
        "unread"
    ]
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

    async def stored() -> int:
        return await hazards.count_documents({"_id": {"$in": list(accepted.values())}})

    async def notified() -> int:
        return await notifications.count_documents({"hazard_id": {"$in": list(accepted.values())}})

    # Kill the case service while reports are being stored, then bring it back.
    await wait_until(lambda: _at_least(stored, 100), timeout=60, what="the first 100 hazards")
    platform.services["hazard_cases"].kill()
    killed_at = await stored()
    await platform.restart("hazard_cases")
    await senders
    assert len(accepted) == REPORTS
    assert killed_at < REPORTS, "the kill came too late to prove anything"

    await wait_until(lambda: _at_least(stored, REPORTS), timeout=180, what="1,000 hazards")
    await wait_until(lambda: _at_least(notified, REPORTS), timeout=180, what="1,000 notifications")

    # Exactly once: each accepted report is one hazard and one notification.
    ids = list(accepted.values())
    assert len(set(ids)) == REPORTS
    assert await stored() == REPORTS
    assert await notified() == REPORTS
    assert len(await notifications.distinct("hazard_id", {"hazard_id": {"$in": ids}})) == REPORTS

    # And the API tells the teacher the same.
    page = (await teacher.get("hazard_cases", "/v1/hazards", limit=1)).json()
    assert page["total"] == hazards_before + REPORTS
    inbox = (await teacher.get("notifications", "/v1/notifications", limit=1)).json()
    assert inbox["unread"] == unread_before + REPORTS
    await mongo.close()


async def _at_least(count: Callable[[], Awaitable[int]], n: int) -> bool:
    return await count() >= n
