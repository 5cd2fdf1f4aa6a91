"""The case service's copy of the registry, read through a short memory: a burst of reports on
one school reads its grids once, not once for every report.

An entry lives `ttl_seconds`. This process forgets one at once when it stores a newer version
of it (places/handlers.py), so its own retries of waiting hazards never read an old copy; another
replica may read an entry up to `ttl_seconds` old, no older than the registry's events may
arrive anyway.
"""

from __future__ import annotations

import time
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_cases.places import repository as places

Document = dict[str, Any]
TTL_SECONDS = 5.0
MAX_ENTRIES = 50_000  # a province's points and grids; beyond, the memory starts afresh


class PlaceCopy:
    """Read points and grids of the copy, remembering them for a few seconds."""

    def __init__(self, db: AsyncDatabase[Document], ttl_seconds: float = TTL_SECONDS) -> None:
        self.db = db
        self.ttl_seconds = ttl_seconds
        self._kept: dict[tuple[str, str], tuple[float, Document | None]] = {}

    async def get(self, collection: str, key: str) -> Document | None:
        """Return one point or grid of the copy (None if it has not arrived)."""
        kept = self._kept.get((collection, key))
        now = time.monotonic()
        if kept is not None and now - kept[0] < self.ttl_seconds:
            return kept[1]
        doc = await places.get(self.db, collection, key)
        if len(self._kept) >= MAX_ENTRIES:
            self._kept.clear()
        self._kept[(collection, key)] = (now, doc)
        return doc

    async def preload(self, point_ids: list[str], grid_paths: list[str]) -> None:
        """Read in one command per collection the points and grids not remembered yet (the
        places of a batch of reports)."""
        wanted = {
            places.POINTS: set(point_ids),
            places.GRIDS: {g for path in grid_paths for g in path.split("/") if g},
        }
        now = time.monotonic()
        for collection, keys in wanted.items():
            stale = [k for k in keys if not self._fresh((collection, k), now)]
            if not stale:
                continue
            found = await places.get_many(self.db, collection, stale)
            if len(self._kept) + len(stale) >= MAX_ENTRIES:
                self._kept.clear()
            for key in stale:
                self._kept[(collection, key)] = (now, found.get(key))

    def _fresh(self, entry: tuple[str, str], now: float) -> bool:
        kept = self._kept.get(entry)
        return kept is not None and now - kept[0] < self.ttl_seconds

    async def point(self, point_id: str) -> Document | None:
        """Return a point of the copy."""
        return await self.get(places.POINTS, point_id)

    async def grids_upward(self, grid_path: str) -> list[Document]:
        """Return the grids of a path, nearest first (those not arrived yet left out)."""
        ids = [part for part in reversed(grid_path.split("/")) if part]
        docs = [await self.get(places.GRIDS, grid_id) for grid_id in ids]
        return [doc for doc in docs if doc is not None]

    def forget(self, collection: str, key: str) -> None:
        """Drop what is remembered of one point or grid (this process just stored a newer one)."""
        self._kept.pop((collection, key), None)
