"""Creating and reading risk points; each change is published as RiskPointChanged."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.grid_registry.grids import repository as grids
from services.grid_registry.people import repository as people
from services.grid_registry.permissions import require_manager
from services.grid_registry.responsibility import service as responsibility
from services.grid_registry.risk_points import repository
from services.grid_registry.risk_points.models import RiskPointCreate, RiskPointRead
from shared.auth import Principal
from shared.clock import utc_now
from shared.errors import field_error, not_found
from shared.events import RiskPointChanged
from shared.ids import new_id
from shared.outbox import new_outbox

Document = dict[str, Any]


async def create(
    *, db: AsyncDatabase[Document], principal: Principal, point_in: RiskPointCreate
) -> RiskPointRead:
    """Create a risk point in a grid of the caller's subtree and announce who answers for it."""
    require_manager(principal)
    grid = await grids.get(db, point_in.grid_id)
    if grid is None or not principal.covers(grid["path"]):
        raise field_error("grid_id", "not_found", "网格不存在", "Grid not found")
    if point_in.responsible_person_id is not None:
        person = await people.get_person(db, point_in.responsible_person_id)
        home = await grids.get(db, person["grid_id"]) if person else None
        if person is None or home is None or not principal.covers(home["path"]):
            raise field_error(
                "responsible_person_id", "not_found", "人员不存在", "Person not found"
            )
    point_id = new_id()
    doc: Document = {
        "_id": point_id,
        "grid_id": grid["_id"],
        "grid_path": grid["path"],
        "name": point_in.name,
        "category": point_in.category.value,
        "risk_grade": point_in.risk_grade.value,
        "responsible_person_id": point_in.responsible_person_id,
        "check_items": point_in.check_items,
        "version": 1,
        "created_at": utc_now(),
    }
    answer = await responsibility.for_point(db, doc, grid)
    await repository.insert(db, {**doc, **new_outbox(announcement(doc, grid, answer))})
    return _to_read(doc, answer)


def announcement(
    doc: Document, grid: Document, answer: responsibility.Responsibility
) -> RiskPointChanged:
    """Return the event telling other services about a risk point and who answers for it."""
    return RiskPointChanged(
        point_id=doc["_id"],
        name=doc["name"],
        category=doc["category"],
        risk_grade=doc["risk_grade"],
        grid_id=grid["_id"],
        grid_path=grid["path"],
        grid_name=grid["name"],
        school_name=answer.school_name,
        responsible=answer.responsible,
        escalation_chain=answer.chain,
        version=doc["version"],
    )


def _to_read(doc: Document, answer: responsibility.Responsibility) -> RiskPointRead:
    return RiskPointRead(
        point_id=doc["_id"],
        grid_id=doc["grid_id"],
        name=doc["name"],
        category=doc["category"],
        risk_grade=doc["risk_grade"],
        check_items=doc.get("check_items", []),
        responsible=answer.responsible,
        school_name=answer.school_name,
        version=doc["version"],
        created_at=doc["created_at"],
    )


async def get_in_scope(
    *, db: AsyncDatabase[Document], principal: Principal, point_id: str
) -> tuple[Document, Document]:
    """Return a risk point of the caller's subtree and its grid (404 otherwise)."""
    doc = await repository.get(db, point_id)
    grid = await grids.get(db, doc["grid_id"]) if doc else None
    if doc is None or grid is None or not principal.covers(grid["path"]):
        raise not_found("风险点", "Risk point")
    return doc, grid


async def get(*, db: AsyncDatabase[Document], principal: Principal, point_id: str) -> RiskPointRead:
    """Return a risk point of the caller's subtree, with who answers for it now."""
    doc, grid = await get_in_scope(db=db, principal=principal, point_id=point_id)
    return _to_read(doc, await responsibility.for_point(db, doc, grid))
