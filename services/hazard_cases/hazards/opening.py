"""Opening hazards from reports and assigning them to whoever answered for the place at the
time (arrivals.py decides which reports open one, joining.py adds the others to it).

Every change is one document write carrying its events in the outbox, and a hazard's id is its
first report's id, so a report delivered twice opens once.

A report answered 202 becomes a hazard whatever the registry's copy holds: when the data of its
place cannot be read (saved by another service, and not this report's fault), the hazard opens
unassigned and flagged for the county, with the reason, rather than the report being retried
and parked. It is assigned once the place's data reads again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_cases.deadlines.policy import DeadlinePolicy
from services.hazard_cases.deadlines.repository import PolicyBook
from services.hazard_cases.hazards import escalation, joining, repository, timer_hints
from services.hazard_cases.hazards.timeline import appended, entry
from services.hazard_cases.places.cache import PlaceCopy
from shared.clock import utc_now
from shared.events import (
    HazardAssigned,
    HazardOpened,
    HazardTransitioned,
    PersonRef,
    ReportSubmitted,
)
from shared.outbox import new_outbox, push_outbox
from shared.responsibility import Assignment, Calendar, GridOnPath, resolve
from shared.vocabulary import GridLevel, HazardCategory, HazardStatus, RiskGrade

Document = dict[str, Any]


@dataclass(frozen=True)
class WhoAnswers:
    """Who answered for a place when a hazard was reported, and whom it escalates to.

    `stand_in` is set when nobody answered at the place itself (a vacant grid) and the nearest
    head above was given the hazard instead; `problem` when the place's data could not be read.
    """

    point: Document | None
    assignee: PersonRef | None
    slot: str | None
    chain: list[Document]
    stand_in: bool = False
    problem: str | None = None
    school_name: str | None = None
    grid_name: str | None = None
    verifiers: list[Document] = field(default_factory=list)


# Heads of these grids verify rectifications (a zone's head is a teacher, who may not).
VERIFYING_LEVELS = {GridLevel.SCHOOL, GridLevel.TOWNSHIP, GridLevel.BUREAU}


def grid_name_of(grid_docs: list[Document], grid_path: str) -> str | None:
    """Return the name of a path's own grid: the place of a report without a point (an
    outside-school grid, a zone)."""
    own = next((part for part in reversed(grid_path.split("/")) if part), None)
    return next((doc.get("name") for doc in grid_docs if doc["_id"] == own), None)


def _assignments(doc: Document | None) -> list[Assignment] | None:
    if doc is None or "assignments" not in doc:
        return None
    return [Assignment.model_validate(item) for item in doc["assignments"]]


async def who_answered(
    copy: PlaceCopy, point_id: str | None, grid_path: str, at: datetime
) -> WhoAnswers:
    """Return who answered for a point or grid at `at`, from this service's registry copy."""
    point = await copy.point(point_id) if point_id else None
    grid_docs = await copy.grids_upward(grid_path)
    grid_name = grid_name_of(grid_docs, grid_path)
    school = point.get("school_name") if point else None
    try:
        grids_upward = [
            GridOnPath(
                grid_id=doc["_id"],
                name=doc.get("name", ""),
                level=GridLevel(doc.get("level", GridLevel.ZONE.value)),
                assignments=tuple(_assignments(doc) or ()),
                calendar=Calendar.model_validate(doc["calendar"]) if doc.get("calendar") else None,
            )
            for doc in grid_docs
        ]
        result = resolve(_assignments(point) if point_id else None, grids_upward, at)
    except Exception as exc:  # no I/O in here: whatever fails is the stored data itself
        problem = f"{type(exc).__name__}: {exc}"[:500]
        return WhoAnswers(
            point, None, None, [], problem=problem, school_name=school, grid_name=grid_name
        )
    school = school or result.school_name  # a grid's: the nearest school on its path
    chain = [link.person for link in (*result.chain, *result.overlays) if link.person]
    unique = [p.model_dump() for n, p in enumerate(chain) if p not in chain[:n]]
    verifiers = [
        link.person.model_dump()
        for link in result.chain
        if link.person is not None and link.level in VERIFYING_LEVELS
    ]
    slot = result.responsible.slot.value if result.responsible.slot else None
    if result.responsible.person is not None:
        return WhoAnswers(
            point,
            result.responsible.person,
            slot,
            unique,
            school_name=school,
            grid_name=grid_name,
            verifiers=verifiers,
        )
    # Nobody answers at the place. Once the copy holds every grid of the path with its
    # assignments (the registry announces each, possibly empty), the vacancy is real: the
    # nearest head above takes the hazard rather than leaving it unseen.
    path_ids = [part for part in grid_path.split("/") if part]
    complete = known_enough(point_id, point) and len(grid_docs) == len(path_ids)
    if complete and all("assignments" in doc for doc in grid_docs):
        above = next((link.person for link in result.chain if link.person), None)
        if above is not None:
            return WhoAnswers(
                point,
                above,
                None,
                unique,
                stand_in=True,
                school_name=school,
                grid_name=grid_name,
                verifiers=verifiers,
            )
    return WhoAnswers(
        point, None, slot, unique, school_name=school, grid_name=grid_name, verifiers=verifiers
    )


def known_enough(point_id: str | None, point: Document | None) -> bool:
    """Tell whether this service's copy knows a reported point's own assignments yet.

    The registry announces every new point with its assignments (possibly none); until both
    have arrived, giving the hazard to the grid's head would pass over the point's own person.
    """
    return point_id is None or (point is not None and "assignments" in point)


def _assigned_entry(assignee: PersonRef, at: datetime, *, stand_in: bool = False) -> Document:
    if stand_in:
        # A vacancy, or a time slot nobody covers (only recess, say): the note fits both.
        note_zh = f"该处此时无人负责，系统分派给上级网格负责人 {assignee.name}"
        note_en = (
            f"Nobody answers for this place at this time; assigned to {assignee.name}, "
            "the head above"
        )
    else:
        note_zh = f"系统按网格责任自动分派给 {assignee.name}"
        note_en = f"Assigned automatically to {assignee.name}, who answers for this place"
    return entry(
        "assigned",
        note_zh,
        note_en,
        actor=None,
        responsible=assignee,
        at=at,
        status=HazardStatus.ASSIGNED,
        details={"stand_in": True} if stand_in else None,
    )


def _place_problem_entry(problem: str, at: datetime) -> Document:
    return entry(
        "flagged",
        "系统：该处的网格资料无法读取，未能自动分派；请县级管理员核查网格、日历与责任人设置",
        "System: the data of this place cannot be read, so it was not assigned; a county "
        "operator should check the grid, its calendar and who answers for it",
        actor=None,
        responsible=None,
        at=at,
        details={"reason": "place_unreadable", "error": problem},
    )


def _timers(
    policy: DeadlinePolicy,
    grade: RiskGrade | None,
    category: HazardCategory,
    reported_at: datetime,
    assigned_at: datetime | None,
) -> Document:
    """Return the deadline fields of a hazard (acceptance counts from the assignment)."""
    rectify_by = policy.rectify_by(grade, category, reported_at)
    accept_by = policy.acknowledge_by(grade, assigned_at) if assigned_at else None
    status = HazardStatus.ASSIGNED if assigned_at else HazardStatus.REPORTED
    return {
        "rectify_by": rectify_by,
        "accept_by": accept_by,
        "major": policy.is_major(grade),
        "next_check_at": escalation.first_check(status, accept_by, rectify_by),
    }


def _assigned_event(doc: Document, assignee: PersonRef, version: int) -> HazardAssigned:
    return HazardAssigned(
        hazard_id=doc["_id"],
        grid_path=doc["grid_path"],
        category=doc["category"],
        description=doc["description"],
        point_name=doc.get("point_name"),
        school_name=doc.get("school_name"),
        grid_name=doc.get("grid_name"),
        assignee=assignee,
        assigned_by="system",
        status=HazardStatus.ASSIGNED,
        version=version,
    )


async def new_hazard(
    db: AsyncDatabase[Document], policies: PolicyBook, copy: PlaceCopy, event: ReportSubmitted
) -> Document:
    """Return the hazard a report opens, assigned to whoever answered for its place then
    (unassigned if nobody is known yet), with its events in its outbox; not stored yet."""
    del db  # everything it needs is in the registry copy and the policies
    answer = await who_answered(copy, event.point_id, event.grid_path, event.received_at)
    point, assignee = answer.point, answer.assignee
    if not known_enough(event.point_id, point):
        assignee = None  # wait for the registry's copy; assign_waiting gives it to the right person
    reporter = event.reporter
    grade = _grade(point)
    policy, _ = await policies.for_path(event.grid_path)
    now = utc_now()
    opened = HazardOpened(
        hazard_id=event.report_id,
        report_id=event.report_id,
        point_id=event.point_id,
        point_name=point.get("name") if point else None,
        grid_id=event.grid_id,
        grid_path=event.grid_path,
        school_name=answer.school_name,
        grid_name=answer.grid_name,
        category=event.category,
        risk_grade=grade,
        description=event.description,
        reporter=reporter,
        status=HazardStatus.REPORTED,
        reported_at=event.received_at,
        photo_ids=event.photo_ids,
        flag_reason=answer.problem,
        version=1,
    )
    timeline = [
        entry(
            "reported",
            f"{reporter.name} 上报隐患",
            f"Reported by {reporter.name}",
            actor=reporter,
            responsible=assignee,
            at=event.received_at,
            status=HazardStatus.REPORTED,
        )
    ]
    if answer.problem:
        timeline.append(_place_problem_entry(answer.problem, now))
    status, version = HazardStatus.REPORTED, 1
    doc: Document = {
        "_id": event.report_id,
        "category": event.category.value,
        "description": event.description,
        "location": event.location.model_dump() if event.location else None,
        "photo_ids": list(event.photo_ids),
        "point_id": event.point_id,
        "point_name": opened.point_name,
        "school_name": opened.school_name,
        "grid_name": opened.grid_name,
        "grid_id": event.grid_id,
        "grid_path": event.grid_path,
        "risk_grade": grade.value if grade else None,
        "reporter": reporter.model_dump(),
        "assignee": assignee.model_dump() if assignee else None,
        "escalation_chain": answer.chain,
        "verifiers": answer.verifiers,
        "escalation_level": 0,
        "responsible_slot": answer.slot,
        "reported_at": event.received_at,
        "submitted_at": event.submitted_at,
        "report_fingerprint": event.body_fingerprint,
        "linked_count": 0,
        "linked_reporters_count": 0,
        "linked_first": [],
        "linked_latest": [],
        "linked_reporter_ids": [],
        "recent_link_ids": [],
        "place_problem": answer.problem,
        "flagged": answer.problem is not None,
    }
    events: list[HazardOpened | HazardAssigned] = [opened]
    if assignee is not None:
        status, version = HazardStatus.ASSIGNED, 2
        timeline.append(_assigned_entry(assignee, now, stand_in=answer.stand_in))
        events.append(_assigned_event(doc, assignee, version))
    doc.update(
        {
            **_timers(policy, grade, event.category, event.received_at, now if assignee else None),
            "status": status.value,
            "updated_at": now,
            "version": version,
            "timeline": timeline,
            **new_outbox(*events),
        }
    )
    return doc


async def assign_waiting(
    db: AsyncDatabase[Document],
    policies: PolicyBook,
    copy: PlaceCopy,
    point_id: str | None = None,
    grid_id: str | None = None,
    *,
    hazard_id: str | None = None,
) -> list[str]:
    """Assign hazards that waited for the registry to say who answers for their place.

    Each is given to whoever answered at the moment it was reported.
    """
    assigned = []
    timers: list[tuple[str, int, datetime | None]] = []
    waiting = await repository.waiting(db, point_id=point_id, grid_id=grid_id, hazard_id=hazard_id)
    for doc in waiting:
        answer = await who_answered(copy, doc.get("point_id"), doc["grid_path"], doc["reported_at"])
        if answer.assignee is None or not known_enough(doc.get("point_id"), answer.point):
            continue  # still nobody, or the place's data still cannot be read
        point = answer.point or {}
        grade = _grade({"risk_grade": point.get("risk_grade", doc.get("risk_grade"))})
        policy, _ = await policies.for_path(doc["grid_path"])
        now = utc_now()
        version = doc["version"] + 1
        fields = {
            "status": HazardStatus.ASSIGNED.value,
            "assignee": answer.assignee.model_dump(),
            "escalation_chain": answer.chain,
            "verifiers": answer.verifiers,
            "responsible_slot": answer.slot,
            "point_name": point.get("name", doc.get("point_name")),
            "school_name": answer.school_name or doc.get("school_name"),
            "grid_name": answer.grid_name or doc.get("grid_name"),
            "risk_grade": grade.value if grade else None,
            **_timers(policy, grade, HazardCategory(doc["category"]), doc["reported_at"], now),
            "updated_at": now,
            "version": version,
            # Readable again: the flag stays only for parked messages still waiting.
            "place_problem": None,
            "flagged": bool(doc.get("parked_ids")),
        }
        event = _assigned_event({**doc, **fields}, answer.assignee, version)
        update = {
            "$set": fields,
            "$push": {
                "timeline": appended(
                    _assigned_entry(answer.assignee, now, stand_in=answer.stand_in)
                ),
                **push_outbox(event)["$push"],
            },
        }
        if await repository.update_if_version(db, doc["_id"], doc["version"], update):
            assigned.append(doc["_id"])
            timers.append((doc["_id"], version, fields["next_check_at"]))
    await timer_hints.note(db, timers)
    return assigned


def _grade(point: Document | None) -> RiskGrade | None:
    """Return a point's risk grade; one this service does not know counts as none."""
    value = point.get("risk_grade") if point else None
    try:
        return RiskGrade(value) if value else None
    except ValueError:
        return None


async def record_merge(db: AsyncDatabase[Document], event: HazardTransitioned) -> list[str]:
    """Count a hazard merged into another as a report joined to it (once), and note it in the
    target's timeline; its reporter may then see the target. Return the linked ids written."""
    assert event.merged_into is not None
    target = await repository.get(db, event.merged_into)
    if target is None:
        return []
    reporter = event.reporter
    as_report = ReportSubmitted(
        event_id=event.event_id,
        report_id=event.hazard_id,
        point_id=target.get("point_id"),
        grid_id=target.get("grid_id") or "",
        grid_path=target["grid_path"],
        category=event.category,
        description=event.description,
        location=None,
        photo_ids=(),
        reporter=reporter,
        reporter_scope=(),
        received_at=event.occurred_at,
    )
    note = entry(
        "merged_in",
        f"{event.actor.name} 将 {reporter.name} 上报的隐患合并到本隐患：{event.description}",
        f"{event.actor.name} merged {reporter.name}'s report into this hazard",
        actor=event.actor,
        responsible=None,
        at=event.occurred_at,
        details={"hazard_id": event.hazard_id},
    )
    try:
        return await joining.join(db, target, [as_report], merged_by=event.actor, note=note)
    except joining.TargetClosed:
        return []  # the target closed meanwhile: the merge stands, nothing more to count
