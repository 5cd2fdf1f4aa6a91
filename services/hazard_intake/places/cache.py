"""Places (risk points and grids) in memory, so a report costs no database round trip.

Each worker process keeps its own copy and reads through to MongoDB on a miss or when an entry
is older than the configured lifetime; the registry's events keep MongoDB current.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_intake.places import repository


@dataclass(frozen=True)
class Place:
    """What intake needs to know about a place a report names."""

    grid_id: str
    grid_path: str
    name: str
    point_id: str | None = None


class PlaceCache:
    """Look up points and grids, from memory when fresh enough."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]], lifetime_seconds: float) -> None:
        self.db = db
        self.lifetime = lifetime_seconds
        self._entries: dict[tuple[str, str], tuple[float, Place | None]] = {}

    async def point(self, point_id: str) -> Place | None:
        """Return the risk point `point_id`, or None if the registry never announced it."""
        return await self._lookup(repository.POINTS, point_id)

    async def grid(self, grid_id: str) -> Place | None:
        """Return the grid `grid_id`, or None if the registry never announced it."""
        return await self._lookup(repository.GRIDS, grid_id)

    def forget(self, collection: str, key: str) -> None:
        """Drop a cached entry (after an event changed it)."""
        self._entries.pop((collection, key), None)

    async def _lookup(self, collection: str, key: str) -> Place | None:
        now = time.monotonic()
        cached = self._entries.get((collection, key))
        if cached is not None and now - cached[0] < self.lifetime:
            return cached[1]
        doc = await repository.get(self.db, collection, key)
        place = None
        if doc is not None:
            place = Place(
                grid_id=doc["grid_id"],
                grid_path=doc["grid_path"],
                name=doc["name"],
                point_id=doc["_id"] if collection == repository.POINTS else None,
            )
        # Unknown places are not cached: the registry's event may arrive any moment.
        if place is not None:
            self._entries[(collection, key)] = (now, place)
        return place
