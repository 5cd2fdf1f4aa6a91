"""Who answers for a grid or risk point at a moment, and above them whom.

The answer at a past moment is the accountability trace-back (责任倒查): assignments keep their
validity intervals, so the same computation (shared.responsibility.resolve) tells who answered
then. This module reads the place from the registry's own documents.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.grid_registry.assignments import archive
from services.grid_registry.grids import repository as grids
from services.grid_registry.responsibility.cache import PlaceCache
from services.grid_registry.risk_points import repository as points
from services.grid_registry.targets import stored_assignments
from shared.responsibility import Calendar, GridOnPath, Resolution, resolve
from shared.vocabulary import GridLevel

Document = dict[str, Any]


@dataclass(frozen=True)
class Place:
    """A point (optional) and the grids from its own up to the root, nearest first."""

    point: Document | None
    grids: list[Document]

    def grids_upward(self) -> list[GridOnPath]:
        """Return the path as shared.responsibility reads it."""
        return [
            GridOnPath(
                grid_id=doc["_id"],
                name=doc["name"],
                level=GridLevel(doc["level"]),
                assignments=tuple(stored_assignments(doc)),
                calendar=Calendar.model_validate(doc["calendar"]) if doc.get("calendar") else None,
            )
            for doc in self.grids
        ]


def path_ids(path: str) -> list[str]:
    """Return the grid ids of a materialized path, root first."""
    return [part for part in path.split("/") if part]


async def load_place(db: AsyncDatabase[Document], grid_path: str, point: Document | None) -> Place:
    """Read the grids of a path (at once, one indexed read each), nearest first."""
    ids = list(reversed(path_ids(grid_path)))
    docs = await asyncio.gather(*(grids.get(db, grid_id) for grid_id in ids))
    return Place(point, [doc for doc in docs if doc is not None])


async def load_point_place(db: AsyncDatabase[Document], point_id: str) -> Place | None:
    """Read a risk point and the grids above it; None if there is no such point."""
    point = await points.get(db, point_id)
    if point is None:
        return None
    return await load_place(db, point["grid_path"], point)


def answer(place: Place, at: datetime) -> Resolution:
    """Return who answers for the place at `at`, the chain above, and the overlays."""
    own = stored_assignments(place.point) if place.point is not None else None
    return resolve(own, place.grids_upward(), at)


@dataclass(frozen=True)
class Lookup:
    """The answer for a place, and where the place is (for scope checks)."""

    grid_id: str
    grid_path: str
    resolution: Resolution


async def _grids_upward(cache: PlaceCache, grid_path: str, at: datetime) -> list[GridOnPath]:
    ids = list(reversed(path_ids(grid_path)))
    found = await asyncio.gather(*(cache.grid(grid_id) for grid_id in ids))
    upward = []
    for grid in found:
        if grid is None:
            continue
        on_path = grid.on_path
        if archive.needed({"archived_until": grid.archived_until}, at):  # a trace-back far back
            older = await archive.of_target(cache.db, on_path.grid_id)
            whole = archive.merged(list(on_path.assignments), older)
            on_path = on_path.model_copy(update={"assignments": tuple(whole)})
        upward.append(on_path)
    return upward


async def lookup_point(cache: PlaceCache, point_id: str, at: datetime) -> Lookup | None:
    """Answer for a risk point at `at` from the cache (and, far back, the archive); None if
    there is no such point."""
    point = await cache.point(point_id)
    if point is None:
        return None
    own = list(point.assignments)
    if archive.needed(point.doc, at):
        own = archive.merged(own, await archive.of_target(cache.db, point_id))
    grids_upward = await _grids_upward(cache, point.doc["grid_path"], at)
    resolution = resolve(own, grids_upward, at)
    return Lookup(point.doc["grid_id"], point.doc["grid_path"], resolution)


async def lookup_grid(cache: PlaceCache, grid_id: str, at: datetime) -> Lookup | None:
    """Answer for a grid at `at` from the cache (and, far back, the archive); None if there is
    no such grid."""
    grid = await cache.grid(grid_id)
    if grid is None:
        return None
    resolution = resolve(None, await _grids_upward(cache, grid.path, at), at)
    return Lookup(grid_id, grid.path, resolution)
