"""Deadline policies per grid (collection `deadline_policies`, `_id` = the grid's id)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_cases.deadlines.policy import DEFAULT_POLICY, DeadlinePolicy

COLLECTION = "deadline_policies"
CACHE_SECONDS = 30.0

Document = dict[str, Any]


class PolicyBook:
    """Find the policy that applies to a grid path, remembering lookups for a short while."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.db = db
        self._cache: dict[str, tuple[float, DeadlinePolicy, str | None]] = {}

    async def for_path(self, grid_path: str) -> tuple[DeadlinePolicy, str | None]:
        """Return the policy of the nearest grid of `grid_path` that has one, and that grid."""
        cached = self._cache.get(grid_path)
        if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1], cached[2]
        policy, source = DEFAULT_POLICY, None
        for grid_id in reversed([part for part in grid_path.split("/") if part]):
            doc = await self.db[COLLECTION].find_one({"_id": grid_id})
            if doc is not None:
                policy, source = DeadlinePolicy.model_validate(doc["policy"]), grid_id
                break
        self._cache[grid_path] = (time.monotonic(), policy, source)
        return policy, source

    def forget(self) -> None:
        """Drop what was remembered (after this process changed a policy)."""
        self._cache.clear()


async def save(
    db: AsyncDatabase[Document], grid_id: str, policy: DeadlinePolicy, by: str, at: datetime
) -> None:
    """Set a grid's own policy (the previous one is kept in its history)."""
    previous = await db[COLLECTION].find_one({"_id": grid_id})
    history = (previous or {}).get("history", [])
    if previous is not None:
        entry = {k: previous[k] for k in ("policy", "updated_by", "updated_at") if k in previous}
        history = [*history, entry][-50:]
    await db[COLLECTION].replace_one(
        {"_id": grid_id},
        {
            "_id": grid_id,
            "policy": policy.model_dump(mode="json"),
            "updated_by": by,
            "updated_at": at,
            "history": history,
        },
        upsert=True,
    )
