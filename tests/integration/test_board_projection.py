"""The command centre's board rows, written a batch at a time, on the real FerretDB: whatever
order a hazard's events arrive in, and however often, its row ends as the newest says."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.command_centre.board import repository, service
from shared.events import HazardAssigned, HazardOpened, PersonRef
from shared.vocabulary import HazardCategory, HazardStatus

TEACHER = PersonRef(person_id="p-teacher", name="王老师")
GUARD = PersonRef(person_id="p-guard", name="李保安")


def opened(hazard_id: str, flag_reason: str | None = None) -> HazardOpened:
    return HazardOpened(
        hazard_id=hazard_id,
        report_id=hazard_id,
        point_id="pt-1",
        point_name="东门",
        grid_id="g",
        grid_path="/c/g/",
        school_name="城关镇第一小学",
        category=HazardCategory.FIRE,
        risk_grade=None,
        description="消防通道堆放杂物",
        reporter=TEACHER,
        status=HazardStatus.REPORTED,
        reported_at=datetime(2026, 12, 4, 8, tzinfo=UTC),
        flag_reason=flag_reason,
        version=1,
    )


def assigned(hazard_id: str) -> HazardAssigned:
    return HazardAssigned(
        hazard_id=hazard_id,
        grid_path="/c/g/",
        category=HazardCategory.FIRE,
        description="消防通道堆放杂物",
        point_name="东门",
        assignee=GUARD,
        assigned_by="system",
        status=HazardStatus.ASSIGNED,
        version=2,
    )


async def row(db: AsyncDatabase[dict[str, Any]], hazard_id: str) -> dict[str, Any]:
    found = await db[repository.COLLECTION].find_one({"_id": hazard_id})
    assert found is not None, f"no board row for {hazard_id}"
    return found


async def test_a_batch_of_many_hazards_opens_and_assigns_each(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    ids = [f"h{n}" for n in range(120)]  # more than one bulk command's statements
    await service.apply(db, [e for i in ids for e in (opened(i), assigned(i))])

    assert await db[repository.COLLECTION].count_documents({}) == len(ids)
    last = await row(db, ids[-1])
    assert (last["status"], last["assignee"]["name"], last["version"]) == ("assigned", "李保安", 2)
    assert last["school_name"] == "城关镇第一小学"


async def test_an_opening_after_its_assignment_fills_in_the_facts_only(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    await service.apply(db, [assigned("h1"), opened("h1")])  # in one batch, out of order
    await service.apply(db, [assigned("h2")])
    await service.apply(db, [opened("h2")])  # in the next batch

    for hazard_id in ("h1", "h2"):
        found = await row(db, hazard_id)
        assert (found["status"], found["version"]) == ("assigned", 2)
        assert found["assignee"]["name"] == "李保安"
        assert found["reporter"]["name"] == "王老师"
        assert found["reported_at"] is not None


async def test_redelivered_events_change_nothing(db: AsyncDatabase[dict[str, Any]]) -> None:
    await service.apply(db, [opened("h1"), assigned("h1")])
    before = await row(db, "h1")
    await service.apply(db, [opened("h1"), assigned("h1"), opened("h1")])

    after = await row(db, "h1")
    assert (after["status"], after["assignee"], after["version"]) == (
        before["status"],
        before["assignee"],
        2,
    )


async def test_an_assignment_clears_the_flag_of_its_opening_in_any_order(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    flag = "该地点的日历无法读取"
    await service.apply(db, [opened("h1", flag), assigned("h1")])
    await service.apply(db, [assigned("h2"), opened("h2", flag)])
    await service.apply(db, [opened("h3", flag)])

    assert (await row(db, "h1"))["flag_reason"] is None
    assert (await row(db, "h2"))["flag_reason"] is None
    assert (await row(db, "h3"))["flag_reason"] == flag
