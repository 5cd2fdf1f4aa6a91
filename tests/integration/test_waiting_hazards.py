"""Hazards reported before the case service heard who answers for their place, on the real
database: none is left waiting once the registry's copy has arrived, whichever came first, and
a vacant grid's hazards go to the nearest head above."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_cases.deadlines.repository import PolicyBook
from services.hazard_cases.hazards import arrivals, opening, repository
from services.hazard_cases.places import repository as places
from services.hazard_cases.places.cache import PlaceCopy
from shared.events import PersonRef, ReportSubmitted

TEACHER = PersonRef(person_id="t1", name="王芳")
HEAD_OF_POINT = PersonRef(person_id="p1", name="张伟")
PRINCIPAL = PersonRef(person_id="h1", name="陈校长")
SCHOOL_PATH = "/county/school/"
ZONE_PATH = "/county/school/zone/"


def report(report_id: str, point_id: str | None) -> ReportSubmitted:
    return ReportSubmitted(
        report_id=report_id,
        point_id=point_id,
        grid_id="zone",
        grid_path=ZONE_PATH,
        category="fire",
        description="消防通道堆放课桌椅",
        location=None,
        photo_ids=(),
        reporter=TEACHER,
        reporter_scope=(ZONE_PATH,),
        received_at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
    )


def heads(person: PersonRef) -> list[dict[str, Any]]:
    return [
        {
            "assignment_id": f"a-{person.person_id}",
            "duty": "head",
            "slot": "always",
            "person": person.model_dump(),
            "valid_from": "2026-01-01T00:00:00Z",
        }
    ]


async def copy_point(db: AsyncDatabase[dict], point_id: str) -> None:
    """What the registry's two announcements of a new point leave in the case service."""
    fields = {"name": "教学楼消防通道", "risk_grade": "red", "grid_path": ZONE_PATH}
    await places.store(db, places.POINTS, point_id, "version", 1, fields)
    await places.store(
        db, places.POINTS, point_id, "assignments_version", 1, {"assignments": heads(HEAD_OF_POINT)}
    )


async def open_one(db: AsyncDatabase[dict], policies: PolicyBook, event: ReportSubmitted) -> bool:
    """Handle one report as the case service does; tell whether it opened a hazard."""
    written = await arrivals.handle_reports(db, policies, fresh(db), [event], timedelta(0))
    return event.report_id in written.hazards


def fresh(db: AsyncDatabase[dict]) -> PlaceCopy:
    """The copy read afresh every time: these tests store places straight into it."""
    return PlaceCopy(db, ttl_seconds=0)


async def state_of(db: AsyncDatabase[dict], hazard_id: str) -> tuple[str, str | None]:
    """Return a stored hazard's status and the name of whoever it is assigned to."""
    hazard = await repository.get(db, hazard_id)
    assert hazard is not None, f"hazard {hazard_id} was not written"
    return hazard["status"], (hazard["assignee"] or {}).get("name")


async def test_a_point_copied_while_its_report_was_being_opened_still_assigns_it(
    db: AsyncDatabase[dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    policies = PolicyBook(db)
    looked_up = opening.who_answered

    async def copy_arrives_after_the_lookup(*args: Any) -> opening.WhoAnswers:
        # The registry's handler runs between the report's lookup and its insert: it stores the
        # point and looks for waiting hazards, finding none because this one is not written yet.
        monkeypatch.undo()
        answer = await looked_up(*args)
        await copy_point(db, "point-1")
        assert await opening.assign_waiting(db, policies, fresh(db), "point-1", None) == []
        return answer

    monkeypatch.setattr(opening, "who_answered", copy_arrives_after_the_lookup)

    assert await open_one(db, policies, report("r1", "point-1"))

    hazard = await repository.get(db, "r1")
    assert hazard is not None
    assert hazard["status"] == "assigned"
    assert hazard["assignee"]["name"] == "张伟"
    assert hazard["point_name"] == "教学楼消防通道"
    assert [step["action"] for step in hazard["timeline"]] == ["reported", "assigned"]


async def test_a_report_before_any_copy_waits_and_is_assigned_when_it_arrives(
    db: AsyncDatabase[dict],
) -> None:
    policies = PolicyBook(db)
    assert await open_one(db, policies, report("r2", "point-2"))
    assert await state_of(db, "r2") == ("reported", None)

    await copy_point(db, "point-2")
    assert await opening.assign_waiting(db, policies, fresh(db), "point-2", None) == ["r2"]
    assert await opening.assign_waiting(db, policies, fresh(db), "point-2", None) == []  # once

    assert await state_of(db, "r2") == ("assigned", "张伟")


async def test_a_hazard_rejected_before_anyone_answered_stays_rejected(
    db: AsyncDatabase[dict],
) -> None:
    policies = PolicyBook(db)
    assert await open_one(db, policies, report("r6", "point-6"))
    # What a manager's rejection (判定不是隐患) leaves: rejected, still nobody assigned.
    await db[repository.COLLECTION].update_one(
        {"_id": "r6"}, {"$set": {"status": "rejected"}, "$inc": {"version": 1}}
    )

    await copy_point(db, "point-6")
    assert await opening.assign_waiting(db, policies, fresh(db), "point-6", None) == []
    assert await state_of(db, "r6") == ("rejected", None)


async def store_grid(
    db: AsyncDatabase[dict], grid_id: str, path: str, heads_of: list[dict[str, Any]] | None
) -> None:
    """What GridChanged and AssignmentsChanged of a grid leave (None: the latter not yet)."""
    await places.store(db, places.GRIDS, grid_id, "version", 1, {"grid_path": path})
    if heads_of is not None:
        await places.store(
            db, places.GRIDS, grid_id, "assignments_version", 1, {"assignments": heads_of}
        )


async def test_a_vacant_grid_hands_its_hazards_to_the_head_above(
    db: AsyncDatabase[dict],
) -> None:
    policies = PolicyBook(db)
    await store_grid(db, "county", "/county/", [])
    await store_grid(db, "school", SCHOOL_PATH, heads(PRINCIPAL))
    await store_grid(db, "zone", ZONE_PATH, None)  # its assignments are still on their way

    # The zone's own head may yet be announced: the hazard waits rather than go above.
    assert await open_one(db, policies, report("r3", None))
    assert await state_of(db, "r3") == ("reported", None)

    # The zone has nobody (its 网格长 left): the school's head takes it, and says why.
    await store_grid(db, "zone", ZONE_PATH, [])
    assert await opening.assign_waiting(db, policies, fresh(db), None, "zone") == ["r3"]
    hazard = await repository.get(db, "r3")
    assert hazard is not None
    assert (hazard["status"], hazard["assignee"]["name"]) == ("assigned", "陈校长")
    assigned = hazard["timeline"][-1]
    assert assigned["action"] == "assigned"
    assert assigned["note_zh"] == "该处此时无人负责，系统分派给上级网格负责人 陈校长"
    assert assigned["details"] == {"stand_in": True}
    assert hazard["accept_by"] is not None  # its deadlines run from now

    # A report there later is the school head's at once.
    assert await open_one(db, policies, report("r4", None))
    assert await state_of(db, "r4") == ("assigned", "陈校长")


async def test_a_head_named_above_reaches_hazards_waiting_in_vacant_grids_below(
    db: AsyncDatabase[dict],
) -> None:
    policies = PolicyBook(db)
    await store_grid(db, "county", "/county/", [])
    await store_grid(db, "school", SCHOOL_PATH, [])
    await store_grid(db, "zone", ZONE_PATH, [])
    assert await open_one(db, policies, report("r5", None))
    assert await state_of(db, "r5") == ("reported", None)  # nobody anywhere

    await places.store(
        db, places.GRIDS, "school", "assignments_version", 2, {"assignments": heads(PRINCIPAL)}
    )
    assert await opening.assign_waiting(db, policies, fresh(db), None, "school") == ["r5"]
    assert await state_of(db, "r5") == ("assigned", "陈校长")


async def test_outside_its_heads_time_slot_a_grid_is_answered_for_from_above(
    db: AsyncDatabase[dict],
) -> None:
    policies = PolicyBook(db)
    recess_head = [{**heads(HEAD_OF_POINT)[0], "slot": "recess"}]  # 课间 only
    await store_grid(db, "county", "/county/", [])
    await store_grid(db, "school", SCHOOL_PATH, heads(PRINCIPAL))
    await store_grid(db, "zone", ZONE_PATH, recess_head)

    # Monday 09:40 in China (01:40 UTC) is a recess; 17:00 (09:00 UTC) is not.
    in_recess = report("r7", None).model_copy(
        update={"received_at": datetime(2026, 11, 23, 1, 40, tzinfo=UTC)}
    )
    assert await open_one(db, policies, in_recess)
    assert await open_one(db, policies, report("r8", None))

    assert await state_of(db, "r7") == ("assigned", "张伟")
    assert await state_of(db, "r8") == ("assigned", "陈校长")
