"""Grids and risk points kept in memory for the "who answers" lookups.

A lookup needs the point and every grid above it (four or five documents); reading them each
time costs five reads per lookup, more than the database serves at a thousand lookups a second.
So the registry loads them all at start-up (a city: ~50,000 documents) and drops an entry as
soon as any replica changes it: every replica hears the registry's own change events on a
queue of its own (`Broker.subscribe_broadcast`). Entries also expire after `ttl_seconds`, in
case an event is missed. History is only appended to, so trace-back answers stay exact.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from pymongo.asynchronous.database import AsyncDatabase

from services.grid_registry.grids import repository as grids
from services.grid_registry.risk_points import repository as points
from services.grid_registry.targets import stored_assignments
from shared.events import AssignmentsChanged, CalendarChanged, GridChanged, RiskPointChanged
from shared.responsibility import Assignment, Calendar, GridOnPath
from shared.vocabulary import GridLevel

Document = dict[str, Any]


@dataclass(frozen=True)
class CachedGrid:
    """A grid as lookups need it."""

    path: str
    on_path: GridOnPath
    archived_until: datetime | None = None  # older history is in the archive


@dataclass(frozen=True)
class CachedPoint:
    """A risk point as lookups need it."""

    doc: Document
    assignments: tuple[Assignment, ...]


def forget_changed(cache: PlaceCache) -> Any:
    """Return a broadcast handler that drops what a registry event says has changed."""

    async def on_change(event: Any, delivery: Any) -> None:
        if isinstance(event, AssignmentsChanged):
            cache.forget(event.target_kind, event.target_id)
        elif isinstance(event, RiskPointChanged):
            cache.forget("point", event.point_id)
        elif isinstance(event, (GridChanged, CalendarChanged)):
            cache.forget("grid", event.grid_id)

    return on_change


CHANGE_EVENTS = (GridChanged, AssignmentsChanged, CalendarChanged, RiskPointChanged)


class PlaceCache:
    """A small time-limited, size-limited read-through cache of grids and points."""

    def __init__(
        self,
        db: AsyncDatabase[Document],
        *,
        ttl_seconds: float = 300.0,
        max_entries: int = 200_000,
    ) -> None:
        self.db = db
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, str], tuple[float, Any]] = OrderedDict()

    def forget(self, kind: str, key: str) -> None:
        """Drop one entry ('grid' or 'point') after this process changed it."""
        self._entries.pop((kind, key), None)

    async def grid(self, grid_id: str) -> CachedGrid | None:
        """Return a grid with its parsed assignments and calendar, or None."""
        return cast(CachedGrid | None, await self._get("grid", grid_id))

    async def point(self, point_id: str) -> CachedPoint | None:
        """Return a risk point with its parsed assignments, or None."""
        return cast(CachedPoint | None, await self._get("point", point_id))

    async def warm(self) -> None:
        """Load every grid and risk point (run in the background at start-up)."""
        async for doc in self.db[grids.COLLECTION].find({}, {"outbox": 0}):
            self._store("grid", doc["_id"], _grid(doc))
        async for doc in self.db[points.COLLECTION].find({}, {"outbox": 0}):
            self._store("point", doc["_id"], CachedPoint(doc, tuple(stored_assignments(doc))))

    def _store(self, kind: str, key: str, value: Any) -> None:
        self._entries[(kind, key)] = (time.monotonic(), value)
        self._entries.move_to_end((kind, key))
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    async def _get(self, kind: str, key: str) -> Any:
        now = time.monotonic()
        entry = self._entries.get((kind, key))
        if entry is not None and now - entry[0] < self.ttl:
            return entry[1]
        value = await (self._load_grid(key) if kind == "grid" else self._load_point(key))
        if value is not None:  # unknown ids are not cached: they may be created any moment
            self._store(kind, key, value)
        return value

    async def _load_grid(self, grid_id: str) -> CachedGrid | None:
        doc = await grids.get(self.db, grid_id)
        return _grid(doc) if doc is not None else None

    async def _load_point(self, point_id: str) -> CachedPoint | None:
        doc = await points.get(self.db, point_id)
        if doc is None:
            return None
        return CachedPoint(doc, tuple(stored_assignments(doc)))


def _grid(doc: Document) -> CachedGrid:
    return CachedGrid(
        path=doc["path"],
        archived_until=doc.get("archived_until"),
        on_path=GridOnPath(
            grid_id=doc["_id"],
            name=doc["name"],
            level=GridLevel(doc["level"]),
            assignments=tuple(stored_assignments(doc)),
            calendar=Calendar.model_validate(doc["calendar"]) if doc.get("calendar") else None,
        ),
    )
