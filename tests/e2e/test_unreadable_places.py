"""A 202 means a hazard: a report on a place whose registry data cannot be read opens a hazard
flagged for the county (with the reason) instead of being retried and parked, and it is
assigned once the data reads again."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient

from tests.support.client import ApiClient
from tests.support.platform import Platform
from tests.support.school import hazard, new_school, report
from tests.support.waiting import wait_until


async def test_a_report_on_a_place_whose_data_cannot_be_read_opens_a_flagged_hazard(
    platform: Platform, admin: ApiClient
) -> None:
    school = await new_school(admin)
    keeper = await school.login(admin, school.keeper)
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(platform.infra.mongo_url)
    grids = mongo[platform.database("hazard_cases")]["grids"]
    try:
        await wait_until(
            lambda: grids.find_one({"_id": school.school_id, "assignments": {"$exists": True}}),
            timeout=30,
            what="the case service's copy of the school",
        )
        # Data another service saved that this one cannot read (the registry refuses such a
        # calendar now; a copy may still hold one from before, or from a bug).
        await grids.update_one(
            {"_id": school.school_id}, {"$set": {"calendar": {"timezone": "Mars/Olympus_Mons"}}}
        )
        hazard_id = await report(keeper, school, "实验室危化品柜未上锁")

        opened = await hazard(admin, hazard_id, status="reported", flagged=True)
        assert opened["assignee"] is None
        assert "Mars/Olympus_Mons" in opened["place_problem"]
        flagged = [step for step in opened["timeline"] if step["action"] == "flagged"]
        assert len(flagged) == 1
        assert "无法读取" in flagged[0]["note_zh"]
        assert flagged[0]["details"]["reason"] == "place_unreadable"
        listed = (await admin.get("hazard_cases", "/v1/hazards", flagged="true")).json()["items"]
        assert hazard_id in [item["hazard_id"] for item in listed]
        parked = (
            await admin.get("hazard_cases", "/v1/parked-messages", hazard_id=hazard_id)
        ).json()
        assert parked == []  # opened, not parked

        async def on_the_board() -> dict[str, Any] | None:
            rows = (await admin.get("command_centre", "/v1/board")).json()["rows"]
            row = next((r for r in rows if r["hazard_id"] == hazard_id), None)
            return row if row and row["flag_reason"] else None

        await wait_until(on_the_board, timeout=30, what="the flagged hazard on the board")

        # The county sets the school's calendar right: the registry announces it, and the
        # hazard goes to whoever answered for the point when it was reported.
        fixed = await admin.http.put(
            f"{platform.url('grid_registry')}/v1/grids/{school.school_id}/calendar",
            json={"timezone": "Asia/Shanghai"},
            headers={**admin.headers, "Idempotency-Key": "fix-" + hazard_id},
        )
        assert fixed.status_code == 200, fixed.text
        assigned = await hazard(admin, hazard_id, status="assigned", flagged=False)
        assert assigned["assignee"]["person_id"] == school.people[school.keeper]
        assert assigned["place_problem"] is None

        async def unflagged_on_the_board() -> bool:
            rows = (await admin.get("command_centre", "/v1/board")).json()["rows"]
            row = next(r for r in rows if r["hazard_id"] == hazard_id)
            return row["flag_reason"] is None and row["status"] == "assigned"

        await wait_until(unflagged_on_the_board, timeout=30, what="the board to show it assigned")
    finally:
        await mongo.close()
