"""Assigning and ending responsibilities; nothing is overwritten, every change is audited."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.grid_registry import targets
from services.grid_registry.assignments import archive
from services.grid_registry.assignments.models import (
    AssignmentCreate,
    AssignmentEnd,
    AssignmentRead,
    RotationIn,
)
from services.grid_registry.audit import repository as audit
from services.grid_registry.grids import repository as grids
from services.grid_registry.people import repository as people
from shared.auth import Principal
from shared.clock import utc_now
from shared.errors import ApiError, field_error, not_found
from shared.ids import new_id
from shared.refs import PersonRef
from shared.responsibility import (
    SLOT_LABELS,
    Assignment,
    Duty,
    Rotation,
    RotationEntry,
    end_replaced,
)
from shared.vocabulary import GridLevel, Role

Document = dict[str, Any]

# History is not rewritten: a change may start a little before "now" (clock skew), not earlier.
MAX_BACKDATE = timedelta(minutes=5)
# 一格三员: an outside-school grid has a head and up to two members at a time.
OUTSIDE_MEMBERS = 2


async def person_in_scope(
    db: AsyncDatabase[Document], principal: Principal, person_id: str, field: str
) -> PersonRef:
    """Return a person registered in the caller's subtree (422 naming `field` otherwise)."""
    person = await people.get_person(db, person_id)
    home = await grids.get(db, person["grid_id"]) if person else None
    if person is None or home is None or not principal.covers(home["path"]):
        raise field_error(field, "not_found", "人员不存在", "Person not found")
    return PersonRef(person_id=person["_id"], name=person["name"])


async def _rotation(
    db: AsyncDatabase[Document], principal: Principal, rotation: RotationIn
) -> Rotation:
    cycle = [
        await person_in_scope(db, principal, pid, f"rotation.cycle_person_ids.{n}")
        for n, pid in enumerate(rotation.cycle_person_ids)
    ]
    roster = [
        RotationEntry(
            start=entry.start,
            end=entry.end,
            person=await person_in_scope(
                db, principal, entry.person_id, f"rotation.roster.{n}.person_id"
            ),
        )
        for n, entry in enumerate(rotation.roster)
    ]
    try:
        return Rotation(
            cycle=tuple(cycle),
            period_days=rotation.period_days,
            anchor=rotation.anchor,
            roster=tuple(roster),
        )
    except ValueError as exc:
        raise field_error(
            "rotation", "invalid", "轮值设置无效", f"Invalid rotation: {exc}"
        ) from None


def _check_duty(target: targets.Target, body: AssignmentCreate, principal: Principal) -> None:
    if body.duty == Duty.OVERLAY and (
        target.kind != "grid" or not principal.has_role(Role.COUNTY_OPERATOR)
    ):
        raise field_error(
            "duty",
            "forbidden",
            "包乡包校只能由教育局在网格上设置",
            "Overlays (包乡包校) are set on grids by county operators",
        )
    if body.duty == Duty.MEMBER:
        if target.kind != "grid" or target.doc["level"] != GridLevel.OUTSIDE.value:
            raise field_error(
                "duty",
                "one_per_grid",
                "校内网格一格一员：只能设置网格长",
                "Inside grids have one person each (一格一员): assign a head",
            )
        open_members = [
            a for a in target.assignments if a.duty == Duty.MEMBER and a.valid_to is None
        ]
        if len(open_members) >= OUTSIDE_MEMBERS:
            raise field_error(
                "duty",
                "grid_full",
                "校外网格一格三员：已有网格长和两名网格员",
                "Outside grids have three persons (一格三员): head and two members already set",
            )


async def assign(
    *, db: AsyncDatabase[Document], principal: Principal, body: AssignmentCreate
) -> AssignmentRead:
    """Make someone answer for a target from `valid_from` on, ending whom they replace."""
    target = await targets.load(db, principal, body.target_kind, body.target_id, named_in_body=True)
    _check_duty(target, body, principal)
    now = utc_now()
    valid_from = body.valid_from or now
    if valid_from < now - MAX_BACKDATE:
        raise field_error(
            "valid_from",
            "in_the_past",
            "不能更改过去的责任记录（责任倒查依据）",
            "Past responsibility cannot be rewritten (it is the accountability record)",
        )
    new = Assignment(
        assignment_id=new_id(),
        duty=body.duty,
        slot=body.slot,
        person=await person_in_scope(db, principal, body.person_id, "person_id")
        if body.person_id
        else None,
        rotation=await _rotation(db, principal, body.rotation) if body.rotation else None,
        valid_from=valid_from,
    )
    current = target.assignments
    ends = {old.assignment_id: end for old, end in end_replaced(current, new)}
    updated = [
        a.model_copy(update={"valid_to": ends[a.assignment_id]}) if a.assignment_id in ends else a
        for a in current
    ]
    await targets.save_assignments(db, target, [*updated, new])
    await audit.record(
        db,
        actor=principal,
        action="assignment.created",
        target_kind=target.kind,
        target_id=body.target_id,
        before={"ended": sorted(ends)},
        after={**new.model_dump(mode="json"), "note": body.note},
    )
    return to_read(target.kind, body.target_id, new)


async def end(
    *,
    db: AsyncDatabase[Document],
    principal: Principal,
    target_kind: targets.TargetKind,
    target_id: str,
    assignment_id: str,
    body: AssignmentEnd,
) -> AssignmentRead:
    """End an assignment at `valid_to` (default now); it stays in the history."""
    target = await targets.load(db, principal, target_kind, target_id)
    current = target.assignments
    found = next((a for a in current if a.assignment_id == assignment_id), None)
    if found is None:
        raise not_found("任职记录", "Assignment")
    now = utc_now()
    valid_to = body.valid_to or now
    if found.valid_to is not None:
        raise ApiError(409, "already_ended", "该任职已结束", "This assignment has already ended")
    if valid_to < max(found.valid_from, now - MAX_BACKDATE):
        raise field_error(
            "valid_to",
            "in_the_past",
            "结束时间不能早于现在",
            "An assignment cannot end in the past",
        )
    ended = found.model_copy(update={"valid_to": valid_to})
    await targets.save_assignments(
        db, target, [ended if a.assignment_id == assignment_id else a for a in current]
    )
    await audit.record(
        db,
        actor=principal,
        action="assignment.ended",
        target_kind=target_kind,
        target_id=target_id,
        before=found.model_dump(mode="json"),
        after={**ended.model_dump(mode="json"), "note": body.note},
    )
    return to_read(target_kind, target_id, ended)


async def history(
    *,
    db: AsyncDatabase[Document],
    principal: Principal,
    target_kind: targets.TargetKind,
    target_id: str,
) -> list[AssignmentRead]:
    """Return every assignment of a target, newest first, ended ones included."""
    target = await targets.load(db, principal, target_kind, target_id)
    whole = target.assignments
    if target.doc.get("archived_until") is not None:
        whole = archive.merged(whole, await archive.of_target(db, target_id))
    ordered = sorted(whole, key=lambda a: a.valid_from, reverse=True)
    return [to_read(target_kind, target_id, a) for a in ordered]


def to_read(kind: targets.TargetKind, target_id: str, assignment: Assignment) -> AssignmentRead:
    """Shape an assignment for clients."""
    rotation_people: list[PersonRef] = []
    if assignment.rotation is not None:
        rotation_people = list(assignment.rotation.cycle) or [
            entry.person for entry in assignment.rotation.roster
        ]
    return AssignmentRead(
        assignment_id=assignment.assignment_id,
        target_kind=kind,
        target_id=target_id,
        duty=assignment.duty,
        slot=assignment.slot,
        slot_label_zh=SLOT_LABELS[assignment.slot][0],
        person=assignment.person,
        rotation_people=rotation_people,
        valid_from=assignment.valid_from,
        valid_to=assignment.valid_to,
    )


def initial_head(person: PersonRef, at: datetime) -> Assignment:
    """Return the all-hours head assignment a new grid or point starts with."""
    return Assignment(assignment_id=new_id(), person=person, valid_from=at)
