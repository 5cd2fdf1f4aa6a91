"""Creating and reading grids; every change is published (GridChanged, AssignmentsChanged)."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.grid_registry.assignments.service import initial_head, person_in_scope
from services.grid_registry.audit import repository as audit
from services.grid_registry.auth.service import ALL_GRIDS
from services.grid_registry.grids import repository
from services.grid_registry.grids.models import LEVEL_RANK, GridCreate, GridRead
from services.grid_registry.targets import Target, changed_event, stored_assignments, to_storage
from shared.auth import Principal
from shared.clock import utc_now
from shared.errors import ApiError, field_error, not_found
from shared.events import CalendarChanged, GridChanged
from shared.ids import new_id
from shared.outbox import new_outbox, push_outbox
from shared.refs import PersonRef
from shared.responsibility import DEFAULT_CALENDAR, Calendar, SlotKind, who_answers
from shared.vocabulary import GridLevel

Document = dict[str, Any]


def head_now(doc: Document) -> PersonRef | None:
    """Return who heads a grid at all hours now (None: a blind spot, 盲区)."""
    all_hours = [a for a in stored_assignments(doc) if a.slot == SlotKind.ALWAYS]
    return who_answers(all_hours, DEFAULT_CALENDAR, utc_now()).person


def to_read(doc: Document) -> GridRead:
    """Shape a grid document for clients, with its head now."""
    head = head_now(doc)
    return GridRead(
        grid_id=doc["_id"],
        code=doc.get("code"),
        name=doc["name"],
        level=doc["level"],
        parent_id=doc.get("parent_id"),
        path=doc["path"],
        head=head,
        blind_spot=head is None,
        version=doc["version"],
        created_at=doc["created_at"],
    )


def changed(doc: Document, head: PersonRef | None) -> GridChanged:
    """Return the event announcing a grid's current state."""
    return GridChanged(
        grid_id=doc["_id"],
        parent_id=doc.get("parent_id"),
        path=doc["path"],
        level=GridLevel(doc["level"]),
        name=doc["name"],
        head=head,
        version=doc["version"],
    )


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


async def create(
    *, db: AsyncDatabase[Document], principal: Principal, grid_in: GridCreate
) -> GridRead:
    """Create a grid inside the caller's subtree, with its head if given, and announce it."""
    parent_path = await _parent_path(db, principal, grid_in)
    head = (
        await person_in_scope(db, principal, grid_in.head_person_id, "head_person_id")
        if grid_in.head_person_id
        else None
    )
    grid_id = new_id()
    now = utc_now()
    assignments = [initial_head(head, now)] if head else []
    doc: Document = {
        "_id": grid_id,
        "name": grid_in.name,
        "level": grid_in.level.value,
        "parent_id": grid_in.parent_id,
        "path": f"{parent_path}{grid_id}/",
        "assignments": to_storage(assignments),
        "calendar": None,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    events = [changed(doc, head), changed_event(Target("grid", doc), assignments, 1)]
    await repository.insert(db, {**doc, **new_outbox(*events)})
    await audit.record(
        db,
        actor=principal,
        action="grid.created",
        target_kind="grid",
        target_id=grid_id,
        before=None,
        after={k: v for k, v in doc.items() if k != "assignments"},
    )
    return to_read(doc)


async def get_in_scope(
    *, db: AsyncDatabase[Document], principal: Principal, grid_id: str
) -> Document:
    """Return a grid document of the caller's subtree (404 otherwise)."""
    doc = await repository.get(db, grid_id)
    if doc is None or not principal.covers(doc["path"]):
        raise not_found("网格", "Grid")
    return doc


async def get(*, db: AsyncDatabase[Document], principal: Principal, grid_id: str) -> GridRead:
    """Return one grid of the caller's subtree (404 otherwise)."""
    return to_read(await get_in_scope(db=db, principal=principal, grid_id=grid_id))


async def children(
    *, db: AsyncDatabase[Document], principal: Principal, grid_id: str
) -> list[GridRead]:
    """Return the children of a grid of the caller's subtree."""
    await get_in_scope(db=db, principal=principal, grid_id=grid_id)
    return [to_read(doc) for doc in await repository.children(db, grid_id)]


async def set_calendar(
    *, db: AsyncDatabase[Document], principal: Principal, grid_id: str, calendar: Calendar | None
) -> GridRead:
    """Set (or clear, to inherit the parent's) the school-day calendar of a grid's subtree."""
    doc = await get_in_scope(db=db, principal=principal, grid_id=grid_id)
    version = doc["version"] + 1
    stored = calendar.model_dump(mode="json") if calendar else None
    event = CalendarChanged(
        grid_id=grid_id, grid_path=doc["path"], calendar=calendar, version=version
    )
    result = await db[repository.COLLECTION].update_one(
        {"_id": grid_id, "version": doc["version"]},
        {
            "$set": {"calendar": stored, "version": version, "updated_at": utc_now()},
            **push_outbox(event),
        },
    )
    if result.modified_count != 1:
        raise ApiError(
            409,
            "changed_meanwhile",
            "该网格刚被他人修改，请刷新后重试",
            "Someone changed this grid meanwhile; reload and try again",
        )
    await audit.record(
        db,
        actor=principal,
        action="grid.calendar_set",
        target_kind="grid",
        target_id=grid_id,
        before=doc.get("calendar"),
        after=stored,
    )
    return to_read({**doc, "calendar": stored, "version": version})
