"""Computing coverage of a subtree now: who is in a grid, which grids have nobody."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.grid_registry.coverage.models import CoverageRead, GridBrief
from services.grid_registry.grids import repository as grids
from services.grid_registry.people import repository as people
from services.grid_registry.risk_points import repository as points
from services.grid_registry.targets import stored_assignments
from shared.clock import utc_now
from shared.refs import PersonRef
from shared.responsibility import Assignment, Duty, SlotKind
from shared.vocabulary import GridLevel

Document = dict[str, Any]
LIST_LIMIT = 200
OUTSIDE_PERSONS = 3  # 一格三员


def _open(assignments: list[Assignment], now: Any) -> list[Assignment]:
    return [a for a in assignments if a.holds_at(now)]


def _named(assignment: Assignment) -> list[PersonRef]:
    if assignment.person is not None:
        return [assignment.person]
    assert assignment.rotation is not None
    return list(assignment.rotation.cycle) or [e.person for e in assignment.rotation.roster]


def _persons_now(open_assignments: list[Assignment]) -> set[str]:
    return {
        person.person_id
        for a in open_assignments
        if a.duty in (Duty.HEAD, Duty.MEMBER) and a.slot == SlotKind.ALWAYS
        for person in _named(a)
    }


async def coverage(db: AsyncDatabase[Document], root: Document) -> CoverageRead:
    """Return the coverage figures of the subtree under `root`, now."""
    now = utc_now()
    under = {"$regex": "^" + re.escape(root["path"])}
    subtree = [doc async for doc in db[grids.COLLECTION].find({"path": under}, {"outbox": 0})]
    names = {doc["_id"]: doc["name"] for doc in subtree}
    schools = {doc["_id"] for doc in subtree if doc["level"] == GridLevel.SCHOOL.value}
    taking_part: set[str] = set()
    blind: list[GridBrief] = []
    understaffed: list[GridBrief] = []
    for doc in subtree:
        open_now = _open(stored_assignments(doc), now)
        taking_part.update(p.person_id for a in open_now for p in _named(a))
        persons = _persons_now(open_now)
        school = next((names[g] for g in doc["path"].strip("/").split("/") if g in schools), None)
        brief = GridBrief(
            grid_id=doc["_id"],
            name=doc["name"],
            level=doc["level"],
            school_name=school,
            persons=len(persons),
        )
        has_head = any(a.duty == Duty.HEAD and a.slot == SlotKind.ALWAYS for a in open_now)
        if not has_head:
            blind.append(brief)
        elif doc["level"] == GridLevel.OUTSIDE.value and len(persons) < OUTSIDE_PERSONS:
            understaffed.append(brief)
    grade_counts: Counter[str] = Counter()
    async for point in db[points.COLLECTION].find({"grid_path": under}, {"outbox": 0}):
        grade_counts[point["risk_grade"]] += 1
        taking_part.update(
            p.person_id for a in _open(stored_assignments(point), now) for p in _named(a)
        )
    grid_ids = set(names)
    staff = {
        person["_id"]
        async for person in db[people.PEOPLE].find({}, {"_id": 1, "grid_id": 1})
        if person.get("grid_id") in grid_ids
    }
    part = len(taking_part & staff)
    total = len(subtree)
    return CoverageRead(
        grid_id=root["_id"],
        grids_total=total,
        grids_by_level=dict(Counter(GridLevel(doc["level"]) for doc in subtree)),
        covered_pct=round(100 * (total - len(blind)) / total, 1) if total else 0.0,
        blind_spots=blind[:LIST_LIMIT],
        blind_spot_count=len(blind),
        outside_understaffed=understaffed[:LIST_LIMIT],
        outside_understaffed_count=len(understaffed),
        staff_total=len(staff),
        staff_taking_part=part,
        staff_taking_part_pct=round(100 * part / len(staff), 1) if staff else 0.0,
        risk_points_total=sum(grade_counts.values()),
        risk_points_by_grade=dict(grade_counts),
    )
