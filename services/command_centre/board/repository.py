"""The board projection in MongoDB (collection `board`), built from hazard events.

Each event carries the hazard's version; a row only moves forward, so redelivered or late
events change nothing.
"""

from __future__ import annotations

from typing import Any

from pymongo import DESCENDING, IndexModel, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from shared.mongo import bulk_write_in_parts, set_each_if_newer

COLLECTION = "board"
INDEXES = [
    IndexModel([("grid_path", 1), ("reported_at", DESCENDING)], name="scope_time"),
    IndexModel([("status", 1)], name="status"),
]

Document = dict[str, Any]


async def apply_all(db: AsyncDatabase[Document], changes: list[tuple[str, int, Document]]) -> None:
    """Set each change's fields on its row (created if missing) if its version is newer."""
    await set_each_if_newer(db[COLLECTION], changes)


async def fill_in_all(db: AsyncDatabase[Document], facts: list[tuple[str, Document]]) -> None:
    """Set facts that never change (who reported, where) whatever the rows' versions."""
    if facts:
        await bulk_write_in_parts(
            db[COLLECTION], [UpdateOne({"_id": i}, {"$set": fields}) for i, fields in facts]
        )


async def newest(db: AsyncDatabase[Document], query: Document, limit: int) -> list[Document]:
    """Return the newest rows matching `query`."""
    cursor = db[COLLECTION].find(query).sort("reported_at", DESCENDING).limit(limit)
    return [doc async for doc in cursor]


async def count_by_status(db: AsyncDatabase[Document], query: Document) -> dict[str, int]:
    """Count rows matching `query` by status."""
    pipeline = [{"$match": query}, {"$group": {"_id": "$status", "n": {"$sum": 1}}}]
    cursor = await db[COLLECTION].aggregate(pipeline)
    return {doc["_id"]: doc["n"] async for doc in cursor}
