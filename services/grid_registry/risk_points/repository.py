"""Risk point documents in MongoDB (collection `risk_points`)."""

from __future__ import annotations

from typing import Any

from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase

COLLECTION = "risk_points"
INDEXES = [IndexModel([("grid_id", 1)], name="grid"), IndexModel([("grid_path", 1)], name="path")]

Document = dict[str, Any]


async def insert(db: AsyncDatabase[Document], doc: Document) -> None:
    """Store a new risk point (with its outbox)."""
    await db[COLLECTION].insert_one(doc)


async def get(db: AsyncDatabase[Document], point_id: str) -> Document | None:
    """Return one risk point, or None."""
    return await db[COLLECTION].find_one({"_id": point_id}, {"outbox": 0})
