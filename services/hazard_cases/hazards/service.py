"""Opening hazards from reports and assigning them to whoever answers for the place.

Every change is one document write carrying its events in the outbox, and the hazard's id is
the report's id, so a report delivered twice opens one hazard.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_cases.hazards import repository
from services.hazard_cases.hazards.models import HazardRead, TimelineEntry
from services.hazard_cases.places import repository as places
from shared.auth import Principal, scope_filter
from shared.clock import utc_now
from shared.errors import ApiError, not_found
from shared.events import HazardAssigned, HazardOpened, PersonRef, ReportSubmitted
from shared.outbox import new_outbox, push_outbox
from shared.responsibility import Assignment, Calendar, GridOnPath, resolve
from shared.vocabulary import (
    CATEGORY_LABELS,
    HAZARD_STATUS_LABELS,
    GridLevel,
    HazardCategory,
    HazardStatus,
    Role,
)

Document = dict[str, Any]


def _timeline_entry(
    action: str,
    note_zh: str,
    note_en: str,
    *,
    actor: PersonRef | None,
    responsible: PersonRef | None,
) -> Document:
    return {
        "at": utc_now(),
        "action": action,
        "actor": actor.model_dump() if actor else None,
        "responsible": responsible.model_dump() if responsible else None,
        "note_zh": note_zh,
        "note_en": note_en,
    }


def _assigned_entry(assignee: PersonRef) -> Document:
    return _timeline_entry(
        "assigned",
        f"系统按网格责任自动分派给 {assignee.name}",
        f"Assigned automatically to {assignee.name}, who answers for this place",
        actor=None,
        responsible=assignee,
    )


@dataclass(frozen=True)
class WhoAnswers:
    """Who answered for a place when a hazard was reported, and whom it escalates to."""

    point: Document | None
    assignee: PersonRef | None
    slot: str | None
    chain: list[Document]


def _assignments(doc: Document | None) -> list[Assignment] | None:
    if doc is None or "assignments" not in doc:
        return None
    return [Assignment.model_validate(entry) for entry in doc["assignments"]]


async def who_answered(
    db: AsyncDatabase[Document], point_id: str | None, grid_path: str, at: datetime
) -> WhoAnswers:
    """Return who answered for a point or grid at `at`, from this service's registry copy."""
    point = await places.get(db, places.POINTS, point_id) if point_id else None
    grids_upward = [
        GridOnPath(
            grid_id=doc["_id"],
            name=doc.get("name", ""),
            level=GridLevel(doc.get("level", GridLevel.ZONE.value)),
            assignments=tuple(_assignments(doc) or ()),
            calendar=Calendar.model_validate(doc["calendar"]) if doc.get("calendar") else None,
        )
        for doc in await places.grids_upward(db, grid_path)
    ]
    result = resolve(_assignments(point) if point_id else None, grids_upward, at)
    chain = [link.person for link in (*result.chain, *result.overlays) if link.person]
    unique = [p.model_dump() for n, p in enumerate(chain) if p not in chain[:n]]
    slot = result.responsible.slot.value if result.responsible.slot else None
    return WhoAnswers(point, result.responsible.person, slot, unique)


async def open_from_report(db: AsyncDatabase[Document], event: ReportSubmitted) -> bool:
    """Open the hazard a report describes and assign it; False if it was opened before."""
    answer = await who_answered(db, event.point_id, event.grid_path, event.received_at)
    point, assignee, chain = answer.point, answer.assignee, answer.chain
    reporter = event.reporter
    timeline = [
        _timeline_entry(
            "reported",
            f"{reporter.name} 上报隐患",
            f"Reported by {reporter.name}",
            actor=reporter,
            responsible=assignee,
        )
    ]
    opened = HazardOpened(
        hazard_id=event.report_id,
        report_id=event.report_id,
        point_id=event.point_id,
        point_name=point.get("name") if point else None,
        grid_id=event.grid_id,
        grid_path=event.grid_path,
        school_name=point.get("school_name") if point else None,
        category=event.category,
        risk_grade=point.get("risk_grade") if point else None,
        description=event.description,
        reporter=reporter,
        status=HazardStatus.REPORTED,
        reported_at=event.received_at,
        version=1,
    )
    events: list[HazardOpened | HazardAssigned] = [opened]
    status, version = HazardStatus.REPORTED, 1
    if assignee is not None:
        status, version = HazardStatus.ASSIGNED, 2
        timeline.append(_assigned_entry(assignee))
        events.append(_assigned_event(opened, assignee, version))
    doc: Document = {
        "_id": event.report_id,
        "status": status.value,
        "category": event.category.value,
        "description": event.description,
        "location": event.location.model_dump() if event.location else None,
        "photo_ids": list(event.photo_ids),
        "point_id": event.point_id,
        "point_name": opened.point_name,
        "school_name": opened.school_name,
        "grid_id": event.grid_id,
        "grid_path": event.grid_path,
        "risk_grade": opened.risk_grade,
        "reporter": reporter.model_dump(),
        "assignee": assignee.model_dump() if assignee else None,
        "escalation_chain": chain,
        "responsible_slot": answer.slot,
        "reported_at": event.received_at,
        "submitted_at": event.submitted_at,
        "updated_at": utc_now(),
        "version": version,
        "timeline": timeline,
        **new_outbox(*events),
    }
    return await repository.insert_new(db, doc)


def _assigned_event(opened: HazardOpened, assignee: PersonRef, version: int) -> HazardAssigned:
    return HazardAssigned(
        hazard_id=opened.hazard_id,
        grid_path=opened.grid_path,
        category=opened.category,
        description=opened.description,
        point_name=opened.point_name,
        assignee=assignee,
        assigned_by="system",
        status=HazardStatus.ASSIGNED,
        version=version,
    )


async def assign_waiting(
    db: AsyncDatabase[Document], point_id: str | None, grid_id: str | None
) -> list[str]:
    """Assign hazards that waited for the registry to say who answers for their place.

    Each is given to whoever answered at the moment it was reported.
    """
    assigned = []
    for doc in await repository.waiting(db, point_id=point_id, grid_id=grid_id):
        answer = await who_answered(db, doc.get("point_id"), doc["grid_path"], doc["reported_at"])
        if answer.assignee is None:
            continue
        point = answer.point or {}
        version = doc["version"] + 1
        event = HazardAssigned(
            hazard_id=doc["_id"],
            grid_path=doc["grid_path"],
            category=doc["category"],
            description=doc["description"],
            point_name=point.get("name", doc.get("point_name")),
            assignee=answer.assignee,
            assigned_by="system",
            status=HazardStatus.ASSIGNED,
            version=version,
        )
        update = {
            "$set": {
                "status": HazardStatus.ASSIGNED.value,
                "assignee": answer.assignee.model_dump(),
                "escalation_chain": answer.chain,
                "responsible_slot": answer.slot,
                "point_name": point.get("name", doc.get("point_name")),
                "school_name": point.get("school_name", doc.get("school_name")),
                "risk_grade": point.get("risk_grade", doc.get("risk_grade")),
                "updated_at": utc_now(),
                "version": version,
            },
            "$push": {"timeline": _assigned_entry(answer.assignee), **push_outbox(event)["$push"]},
        }
        if await repository.update_if_version(db, doc["_id"], doc["version"], update):
            assigned.append(doc["_id"])
    return assigned


def _visibility(principal: Principal) -> Document:
    """Return the filter of the hazards a caller may see."""
    if principal.has_role(Role.COUNTY_OPERATOR, Role.SCHOOL_HEAD):
        return scope_filter(principal)
    if principal.has_role(Role.TEACHER):
        # A teacher sees what they reported and what is assigned to them.
        return {
            "$or": [
                {"reporter.person_id": principal.user_id},
                {"assignee.person_id": principal.user_id},
            ]
        }
    raise ApiError(403, "forbidden", "当前角色不能查看隐患", "Your role cannot view hazards")


def _can_see(principal: Principal, doc: Document) -> bool:
    """Tell whether the caller may see one hazard (the same rule as `_visibility`)."""
    if principal.has_role(Role.COUNTY_OPERATOR, Role.SCHOOL_HEAD):
        return principal.covers(doc["grid_path"])
    if principal.has_role(Role.TEACHER):
        people = {(doc.get(role) or {}).get("person_id") for role in ("reporter", "assignee")}
        return principal.user_id in people
    return False


def to_read(doc: Document) -> HazardRead:
    """Shape a hazard document for clients."""
    status = HazardStatus(doc["status"])
    category = HazardCategory(doc["category"])
    return HazardRead(
        hazard_id=doc["_id"],
        status=status,
        status_label_zh=HAZARD_STATUS_LABELS[status][0],
        category=category,
        category_label_zh=CATEGORY_LABELS[category][0],
        description=doc["description"],
        point_id=doc.get("point_id"),
        point_name=doc.get("point_name"),
        school_name=doc.get("school_name"),
        grid_id=doc["grid_id"],
        risk_grade=doc.get("risk_grade"),
        reporter=doc["reporter"],
        assignee=doc.get("assignee"),
        escalation_chain=doc.get("escalation_chain", []),
        photo_ids=doc.get("photo_ids", []),
        reported_at=doc["reported_at"],
        updated_at=doc["updated_at"],
        version=doc["version"],
        timeline=[TimelineEntry.model_validate(entry) for entry in doc.get("timeline", [])],
    )


async def list_visible(
    *,
    db: AsyncDatabase[Document],
    principal: Principal,
    status: HazardStatus | None,
    skip: int,
    limit: int,
) -> tuple[list[HazardRead], int]:
    """Return one page of the hazards the caller may see."""
    query = _visibility(principal)
    if status is not None:
        query = {"$and": [query, {"status": status.value}]}
    docs, total = await repository.page(db, query, skip=skip, limit=limit)
    return [to_read(doc) for doc in docs], total


async def get_visible(
    *, db: AsyncDatabase[Document], principal: Principal, hazard_id: str
) -> HazardRead:
    """Return a hazard the caller may see (404 for anything else)."""
    doc = await repository.get(db, hazard_id)
    if doc is None or not _can_see(principal, doc):
        raise not_found("隐患", "Hazard")
    return to_read(doc)
