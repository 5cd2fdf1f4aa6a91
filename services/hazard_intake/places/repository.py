"""Intake's copy of the registry's risk points and grids (collections `points`, `grids`).

Written from registry events with a version guard, so an older event never overwrites a newer.
"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from shared.mongo import replace_if_newer

POINTS = "points"
GRIDS = "grids"

Document = dict[str, Any]


async def store_if_newer(db: AsyncDatabase[Document], collection: str, doc: Document) -> bool:
    """Store `doc` unless the same or a newer version is there; tell whether it was stored."""
    return await replace_if_newer(db[collection], doc)


async def get(db: AsyncDatabase[Document], collection: str, key: str) -> Document | None:
    """Return one stored place, or None."""
    return await db[collection].find_one({"_id": key})
