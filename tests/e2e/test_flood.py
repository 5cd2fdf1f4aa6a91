"""A flood of reports about one hazard (a whole school reporting the same smoke) stalls nothing:
reports on other places that arrive behind it are opened at once, and a SIGKILL of the case
service in the middle loses and doubles nothing: every report joins once, every reporter is
told once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from tests.support.client import ApiClient
from tests.support.platform import Platform, running_platform
from tests.support.school import School, hazard, new_school, report
from tests.support.waiting import wait_until

FLOOD = 3_000
OTHERS = 100
BATCH = 100


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """A platform of this module's own: its flood must not queue behind, or ahead of, other
    modules' reports, and it kills the case service."""
    with running_platform(tmp_path_factory.mktemp("flood")) as running:
        yield running


async def new_points(admin: ApiClient, school: School, count: int) -> list[str]:
    """Add `count` risk points to the school's zone, known to intake on return."""
    semaphore = asyncio.Semaphore(16)

    async def one(n: int) -> str:
        async with semaphore:
            body = {
                "grid_id": school.zone_id,
                "name": f"其他点位{n}",
                "category": "fire",
                "risk_grade": "blue",
            }
            answer = await admin.post("grid_registry", "/v1/risk-points", body)
            assert answer.status_code == 201, answer.text
            return str(answer.json()["point_id"])

    points = list(await asyncio.gather(*(one(n) for n in range(count))))

    async def known() -> bool:
        found = await admin.get("hazard_intake", f"/v1/points/{points[-1]}")
        return found.status_code == 200

    await wait_until(known, timeout=60, what="intake to learn the new points")
    return points


async def send_batches(client: ApiClient, items: list[dict[str, Any]]) -> list[str]:
    """Send reports queued offline, 100 to a batch, until each is accepted; return their ids."""
    ids: list[str] = []
    for start in range(0, len(items), BATCH):
        part = items[start : start + BATCH]
        while True:
            answer = await client.post("hazard_intake", "/v1/reports/batch", {"reports": part})
            results = answer.json().get("results", []) if answer.status_code == 200 else []
            if results and all(r["status"] == 202 for r in results):
                ids += [r["report_id"] for r in results]
                break
            await asyncio.sleep(0.5)
    return ids


def flood_items(school: School, tag: str) -> list[dict[str, Any]]:
    return [
        {
            "idempotency_key": f"{tag}-{n}",
            "point_id": school.point_id,
            "category": "fire",
            "description": f"闻到烟味（第 {n} 份）",
        }
        for n in range(FLOOD)
    ]


async def test_a_flood_on_one_hazard_survives_a_kill_and_delays_no_other_place(
    platform: Platform, admin: ApiClient, http: httpx.AsyncClient
) -> None:
    school = await new_school(admin)
    policy = await admin.http.put(
        f"{platform.url('hazard_cases')}/v1/deadline-policies/{school.school_id}",
        json={"duplicate_window_hours": 24},
        headers=admin.headers,
    )
    assert policy.status_code == 200, policy.text
    others = await new_points(admin, school, OTHERS)
    reporters = [
        await school.login(admin, who) for who in (school.keeper, school.zone_head, school.head)
    ]
    hazard_id = await report(reporters[0], school, "楼道里有烟味")
    await hazard(admin, hazard_id, status="assigned")

    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(platform.infra.mongo_url)
    cases_db = mongo[platform.database("hazard_cases")]
    linked = cases_db["linked_reports"]
    notifications = mongo[platform.database("notifications")]["notifications"]
    try:
        tag = uuid.uuid4().hex[:6]
        items = flood_items(school, tag)
        # The flood queues up while the case service is down, so that the kill below lands in
        # the middle of its work however fast the service joins.
        platform.services["hazard_cases"].kill()
        # Three teachers report the same smoke, a third each, as fast as intake takes them.
        flood_ids = [
            *await asyncio.gather(*(send_batches(reporters[n], items[n::3]) for n in range(3)))
        ]
        sent = [report_id for share in flood_ids for report_id in share]
        assert len(set(sent)) == FLOOD
        await platform.restart("hazard_cases")

        async def joined_so_far() -> int:
            return await linked.count_documents({"hazard_id": hazard_id})

        await wait_until(
            lambda: _at_least(joined_so_far(), 300), timeout=120, interval=0.02, what="joins"
        )
        platform.services["hazard_cases"].kill()
        killed_at = await joined_so_far()
        assert killed_at < FLOOD, "the kill came too late to prove anything"
        # Reports on 100 other places arrive while the flood's rest waits in the queue.
        other_ids = await send_batches(
            reporters[0],
            [
                {
                    "idempotency_key": f"{tag}-other-{n}",
                    "point_id": point,
                    "category": "fire",
                    "description": f"其他点位的隐患 {n}",
                }
                for n, point in enumerate(others)
            ],
        )
        await platform.restart("hazard_cases")

        async def all_joined() -> dict[str, Any] | None:
            body = (await admin.get("hazard_cases", f"/v1/hazards/{hazard_id}")).json()
            return body if body["linked_count"] == FLOOD else None

        summary = await wait_until(all_joined, timeout=300, what="every flood report to join")
        # Exactly once: 3,000 joined, none twice, from three people, each told once per report.
        stored = [doc["_id"] async for doc in linked.find({"hazard_id": hazard_id}, {"_id": 1})]
        assert sorted(stored) == sorted(sent)
        assert summary["linked_reporters_count"] == 3
        assert len(summary["linked_reports"]) <= 10  # the first and the latest five

        async def all_told() -> bool:
            told = await notifications.count_documents(
                {"hazard_id": hazard_id, "kind": "report_linked"}
            )
            return told >= FLOOD

        await wait_until(all_told, timeout=180, what="every reporter to be told")
        kinds = notifications.find(
            {"hazard_id": hazard_id, "kind": "report_linked"}, {"event_id": 1}
        )
        events = [doc["event_id"] async for doc in kinds]
        assert len(events) == len(set(events)) == FLOOD

        # The other places did not wait for the flood: each was opened (and assigned) before
        # the flood's last report was counted, though they were queued behind its rest.
        flood_done = datetime.fromisoformat(summary["updated_at"])
        opened: list[datetime] = []
        for other in other_ids:
            body = await hazard(admin, other, status="assigned")
            assigned = next(step for step in body["timeline"] if step["action"] == "assigned")
            opened.append(datetime.fromisoformat(assigned["at"]))
        assert max(opened) < flood_done
    finally:
        await mongo.close()


async def _at_least(value: Any, n: int) -> bool:
    return (await value) >= n
