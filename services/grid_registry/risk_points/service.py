"""Creating and reading risk points; each change is published (RiskPointChanged,
AssignmentsChanged) so other services know the point and who answers for it."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.grid_registry.assignments.service import initial_head, person_in_scope
from services.grid_registry.audit import repository as audit
from services.grid_registry.grids import repository as grids
from services.grid_registry.responsibility import service as responsibility
from services.grid_registry.risk_points import repository
from services.grid_registry.risk_points.models import RiskPointCreate, RiskPointRead
from services.grid_registry.targets import Target, changed_event, to_storage
from shared.auth import Principal
from shared.clock import utc_now
from shared.errors import field_error, not_found
from shared.events import RiskPointChanged, qr_token_digest
from shared.ids import new_id
from shared.outbox import new_outbox

Document = dict[str, Any]


async def create(
    *, db: AsyncDatabase[Document], principal: Principal, point_in: RiskPointCreate
) -> RiskPointRead:
    """Create a risk point in a grid of the caller's subtree and announce who answers for it."""
    grid = await grids.get(db, point_in.grid_id)
    if grid is None or not principal.covers(grid["path"]):
        raise field_error("grid_id", "not_found", "网格不存在", "Grid not found")
    now = utc_now()
    responsible = (
        await person_in_scope(
            db, principal, point_in.responsible_person_id, "responsible_person_id"
        )
        if point_in.responsible_person_id
        else None
    )
    assignments = [initial_head(responsible, now)] if responsible else []
    doc: Document = {
        "_id": new_id(),
        "grid_id": grid["_id"],
        "grid_path": grid["path"],
        "name": point_in.name,
        "category": point_in.category.value,
        "risk_grade": point_in.risk_grade.value,
        "check_items": point_in.check_items,
        "assignments": to_storage(assignments),
        "qr_token": None,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    place = await responsibility.load_place(db, grid["path"], doc)
    events = [announcement(place, now), changed_event(Target("point", doc), assignments, 1)]
    await repository.insert(db, {**doc, **new_outbox(*events)})
    await audit.record(
        db,
        actor=principal,
        action="risk_point.created",
        target_kind="point",
        target_id=doc["_id"],
        before=None,
        after={k: v for k, v in doc.items() if k != "assignments"},
    )
    return to_read(place, now)


def announcement(place: responsibility.Place, at: Any) -> RiskPointChanged:
    """Return the event describing a risk point, with who answers for it at `at` (display)."""
    assert place.point is not None
    doc = place.point
    answer = responsibility.answer(place, at)
    return RiskPointChanged(
        point_id=doc["_id"],
        name=doc["name"],
        category=doc["category"],
        risk_grade=doc["risk_grade"],
        grid_id=doc["grid_id"],
        grid_path=doc["grid_path"],
        grid_name=place.grids[0]["name"] if place.grids else "",
        school_name=answer.school_name,
        responsible=answer.responsible.person,
        escalation_chain=answer.chain,
        version=doc["version"],
        qr_token_sha256=qr_token_digest(doc["qr_token"]) if doc.get("qr_token") else None,
        check_items=tuple(doc.get("check_items", [])),
    )


def to_read(place: responsibility.Place, at: Any) -> RiskPointRead:
    """Shape a risk point for clients, with who answers for it at `at`."""
    assert place.point is not None
    doc = place.point
    answer = responsibility.answer(place, at)
    return RiskPointRead(
        point_id=doc["_id"],
        grid_id=doc["grid_id"],
        name=doc["name"],
        category=doc["category"],
        risk_grade=doc["risk_grade"],
        check_items=doc.get("check_items", []),
        responsible=answer.responsible.person,
        school_name=answer.school_name,
        version=doc["version"],
        created_at=doc["created_at"],
    )


async def get_in_scope(
    *, db: AsyncDatabase[Document], principal: Principal, point_id: str
) -> responsibility.Place:
    """Return a risk point of the caller's subtree with its grids (404 otherwise)."""
    place = await responsibility.load_point_place(db, point_id)
    if place is None or place.point is None or not principal.covers(place.point["grid_path"]):
        raise not_found("风险点", "Risk point")
    return place


async def get(*, db: AsyncDatabase[Document], principal: Principal, point_id: str) -> RiskPointRead:
    """Return a risk point of the caller's subtree, with who answers for it now."""
    return to_read(await get_in_scope(db=db, principal=principal, point_id=point_id), utc_now())
