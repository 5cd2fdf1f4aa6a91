"""Grids and risk points as targets of assignments: loading them inside the caller's scope,
reading their stored assignments, and writing them back with a version check.

Assignments live inside the grid or point document they concern (with their recent history;
older ended ones move to assignments/archive.py), so "who answers here" is one indexed read,
and each change is one atomic document write that carries its AssignmentsChanged event in the
outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pymongo.asynchronous.database import AsyncDatabase

from services.grid_registry.assignments import archive
from services.grid_registry.grids import repository as grids
from services.grid_registry.risk_points import repository as points
from shared.auth import Principal
from shared.clock import utc_now
from shared.errors import ApiError, field_error, not_found
from shared.events import AssignmentsChanged
from shared.outbox import push_outbox
from shared.responsibility import Assignment

Document = dict[str, Any]
TargetKind = Literal["grid", "point"]

COLLECTIONS: dict[str, str] = {"grid": grids.COLLECTION, "point": points.COLLECTION}


@dataclass(frozen=True)
class Target:
    """A grid or risk point document and where it sits in the tree."""

    kind: TargetKind
    doc: Document

    @property
    def grid_path(self) -> str:
        """Return the path of the grid (of the point's grid, for a point)."""
        return str(self.doc["path"] if self.kind == "grid" else self.doc["grid_path"])

    @property
    def assignments(self) -> list[Assignment]:
        """Return every assignment ever made here, ended ones included."""
        return stored_assignments(self.doc)


def stored_assignments(doc: Document) -> list[Assignment]:
    """Read the assignments kept in a grid or point document."""
    return [Assignment.model_validate(entry) for entry in doc.get("assignments", [])]


def to_storage(assignments: list[Assignment]) -> list[Document]:
    """Return assignments as stored (JSON types: dates as ISO strings)."""
    return [assignment.model_dump(mode="json") for assignment in assignments]


async def load(
    db: AsyncDatabase[Document],
    principal: Principal,
    kind: TargetKind,
    target_id: str,
    *,
    named_in_body: bool = False,
) -> Target:
    """Return a grid or point of the caller's subtree.

    Anything else answers 404 (or 422 naming `target_id` when the body named it).
    """
    doc = await db[COLLECTIONS[kind]].find_one({"_id": target_id}, {"outbox": 0})
    target = Target(kind, doc) if doc else None
    if target is None or not principal.covers(target.grid_path):
        zh, en = ("网格", "Grid") if kind == "grid" else ("风险点", "Risk point")
        if named_in_body:
            raise field_error("target_id", "not_found", f"{zh}不存在", f"{en} not found")
        raise not_found(zh, en)
    return target


def changed_event(
    target: Target, assignments: list[Assignment], version: int
) -> AssignmentsChanged:
    """Return the event announcing a target's assignments at `version`."""
    return AssignmentsChanged(
        target_kind=target.kind,
        target_id=target.doc["_id"],
        grid_path=target.grid_path,
        assignments=tuple(assignments),
        version=version,
    )


async def save_assignments(
    db: AsyncDatabase[Document], target: Target, assignments: list[Assignment]
) -> int:
    """Write a target's new assignments if nobody changed it meanwhile; return the new version.

    Answers 409 when the target changed since it was read: the caller should read it again.
    """
    version = int(target.doc["version"]) + 1
    kept, leaving = archive.split(assignments)
    fields: Document = {
        "assignments": to_storage(kept),
        "version": version,
        "updated_at": utc_now(),
    }
    if leaving:
        await archive.store(db, target.kind, target.doc["_id"], leaving)
        ends = [a.valid_to for a in leaving if a.valid_to is not None]
        fields["archived_until"] = max([*ends, target.doc.get("archived_until") or min(ends)])
    update: Document = {
        "$set": fields,
        **push_outbox(changed_event(target, kept, version)),
    }
    result = await db[COLLECTIONS[target.kind]].update_one(
        {"_id": target.doc["_id"], "version": target.doc["version"]}, update
    )
    if result.modified_count != 1:
        raise ApiError(
            409,
            "changed_meanwhile",
            "该对象刚被他人修改，请刷新后重试",
            "Someone changed this meanwhile; reload and try again",
        )
    return version
