"""The board projection in MongoDB (collection `board`), built from hazard events.

Each event carries the hazard's version; a row only moves forward, so redelivered or late
events change nothing.
"""

from __future__ import annotations

from typing import Any

from pymongo import DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

COLLECTION = "board"
INDEXES = [
    IndexModel([("grid_path", 1), ("reported_at", DESCENDING)], name="scope_time"),
    IndexModel([("status", 1)], name="status"),
]

Document = dict[str, Any]


async def apply(
    db: AsyncDatabase[Document], hazard_id: str, version: int, fields: Document
) -> bool:
    """Set `fields` on a row if `version` is newer than the row's; create the row if missing."""
    older_row = {"_id": hazard_id, "version": {"$lt": version}}
    update = {"$set": {**fields, "version": version}}
    try:
        result = await db[COLLECTION].update_one(older_row, update, upsert=True)
    except DuplicateKeyError:
        # Another event of this hazard created the row meanwhile (events of one hazard may be
        # handled at once): compare versions again now that the row exists.
        result = await db[COLLECTION].update_one(older_row, update)
        return result.modified_count == 1
    return result.modified_count == 1 or result.upserted_id is not None


async def fill_in(db: AsyncDatabase[Document], hazard_id: str, fields: Document) -> None:
    """Set facts that never change (who reported, where) whatever the row's version."""
    await db[COLLECTION].update_one({"_id": hazard_id}, {"$set": fields})


async def newest(db: AsyncDatabase[Document], query: Document, limit: int) -> list[Document]:
    """Return the newest rows matching `query`."""
    cursor = db[COLLECTION].find(query).sort("reported_at", DESCENDING).limit(limit)
    return [doc async for doc in cursor]


async def count_by_status(db: AsyncDatabase[Document], query: Document) -> dict[str, int]:
    """Count rows matching `query` by status."""
    pipeline = [{"$match": query}, {"$group": {"_id": "$status", "n": {"$sum": 1}}}]
    cursor = await db[COLLECTION].aggregate(pipeline)
    return {doc["_id"]: doc["n"] async for doc in cursor}
