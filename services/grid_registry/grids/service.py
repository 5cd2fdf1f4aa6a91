"""Creating and reading grids; every change is published as GridChanged (via the outbox)."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.grid_registry.auth.service import ALL_GRIDS
from services.grid_registry.grids import repository
from services.grid_registry.grids.models import LEVEL_RANK, GridCreate, GridRead
from services.grid_registry.people import repository as people
from services.grid_registry.permissions import require_manager
from shared.auth import Principal
from shared.clock import utc_now
from shared.errors import field_error, not_found
from shared.events import GridChanged, PersonRef
from shared.ids import new_id
from shared.outbox import new_outbox
from shared.vocabulary import GridLevel

Document = dict[str, Any]


def to_read(doc: Document, head: PersonRef | None) -> GridRead:
    """Shape a grid document for clients."""
    return GridRead(
        grid_id=doc["_id"],
        name=doc["name"],
        level=doc["level"],
        parent_id=doc.get("parent_id"),
        path=doc["path"],
        head=head,
        blind_spot=head is None,
        version=doc["version"],
        created_at=doc["created_at"],
    )


async def head_of(db: AsyncDatabase[Document], doc: Document) -> PersonRef | None:
    """Return the head of a grid, if it has one."""
    if not doc.get("head_person_id"):
        return None
    person = await people.get_person(db, doc["head_person_id"])
    return PersonRef(person_id=person["_id"], name=person["name"]) if person else None


async def _parent_path(
    db: AsyncDatabase[Document], principal: Principal, grid_in: GridCreate
) -> str:
    if grid_in.parent_id is None:
        if grid_in.level != GridLevel.BUREAU:
            raise field_error(
                "parent_id",
                "missing",
                "只有一级网格可以没有上级",
                "Only level L1 grids have no parent",
            )
        if ALL_GRIDS not in principal.scope:
            raise field_error("parent_id", "missing", "请指定上级网格", "A parent grid is required")
        return ALL_GRIDS
    parent = await repository.get(db, grid_in.parent_id)
    if parent is None or not principal.covers(parent["path"]):
        raise field_error("parent_id", "not_found", "上级网格不存在", "Parent grid not found")
    if LEVEL_RANK[grid_in.level] <= LEVEL_RANK[GridLevel(parent["level"])]:
        raise field_error(
            "level",
            "invalid",
            f"下级网格的层级必须低于上级（上级为 {parent['level']}）",
            f"A child grid must sit below its parent (parent is {parent['level']})",
        )
    return str(parent["path"])


async def _head(
    db: AsyncDatabase[Document], principal: Principal, person_id: str | None
) -> PersonRef | None:
    if person_id is None:
        return None
    person = await people.get_person(db, person_id)
    grid = await repository.get(db, person["grid_id"]) if person else None
    if person is None or grid is None or not principal.covers(grid["path"]):
        raise field_error("head_person_id", "not_found", "人员不存在", "Person not found")
    return PersonRef(person_id=person["_id"], name=person["name"])


async def create(
    *, db: AsyncDatabase[Document], principal: Principal, grid_in: GridCreate
) -> GridRead:
    """Create a grid inside the caller's subtree and announce it."""
    require_manager(principal)
    parent_path = await _parent_path(db, principal, grid_in)
    head = await _head(db, principal, grid_in.head_person_id)
    grid_id = new_id()
    doc: Document = {
        "_id": grid_id,
        "name": grid_in.name,
        "level": grid_in.level.value,
        "parent_id": grid_in.parent_id,
        "path": f"{parent_path}{grid_id}/",
        "head_person_id": grid_in.head_person_id,
        "version": 1,
        "created_at": utc_now(),
    }
    event = GridChanged(
        grid_id=grid_id,
        parent_id=grid_in.parent_id,
        path=doc["path"],
        level=grid_in.level,
        name=grid_in.name,
        head=head,
        version=1,
    )
    await repository.insert(db, {**doc, **new_outbox(event)})
    return to_read(doc, head)


async def get(*, db: AsyncDatabase[Document], principal: Principal, grid_id: str) -> GridRead:
    """Return one grid of the caller's subtree (404 otherwise)."""
    doc = await repository.get(db, grid_id)
    if doc is None or not principal.covers(doc["path"]):
        raise not_found("网格", "Grid")
    return to_read(doc, await head_of(db, doc))


async def children(
    *, db: AsyncDatabase[Document], principal: Principal, grid_id: str
) -> list[GridRead]:
    """Return the children of a grid of the caller's subtree."""
    await get(db=db, principal=principal, grid_id=grid_id)
    docs = await repository.children(db, grid_id)
    return [to_read(doc, await head_of(db, doc)) for doc in docs]
