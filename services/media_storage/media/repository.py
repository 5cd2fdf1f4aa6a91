"""Media documents in MongoDB (collection `media`)."""

from __future__ import annotations

from typing import Any

from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase

COLLECTION = "media"
INDEXES = [IndexModel([("owner_id", 1), ("created_at", -1)], name="owner")]
PENDING, STORED, REJECTED = "pending", "stored", "rejected"

Document = dict[str, Any]


async def insert(db: AsyncDatabase[Document], doc: Document) -> None:
    """Store a new media document."""
    await db[COLLECTION].insert_one(doc)


async def get(db: AsyncDatabase[Document], media_id: str) -> Document | None:
    """Return one media document, or None."""
    return await db[COLLECTION].find_one({"_id": media_id}, {"outbox": 0})


async def set_status(
    db: AsyncDatabase[Document], media_id: str, expected: str, update: Document
) -> bool:
    """Apply `update` if the media is still in status `expected`; tell whether it was."""
    result = await db[COLLECTION].update_one({"_id": media_id, "status": expected}, update)
    return result.modified_count == 1
