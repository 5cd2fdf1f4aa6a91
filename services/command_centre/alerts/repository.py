"""Parked messages the command centre alerts operators to (collection `parked_alerts`), kept
from the case service's events; each moves forward only (by its `sequence`)."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from pymongo import DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

COLLECTION = "parked_alerts"
INDEXES = [IndexModel([("open", 1), ("parked_at", DESCENDING)], name="open_newest")]

Document = dict[str, Any]


async def apply(
    db: AsyncDatabase[Document], parked_id: str, sequence: int, fields: Document
) -> None:
    """Set `fields` if `sequence` is newer than the stored one; create the alert if missing."""
    older = {"_id": parked_id, "sequence": {"$lt": sequence}}
    update = {"$set": {**fields, "sequence": sequence}}
    # The upsert collides when the alert is stored at this sequence or a newer one already:
    # nothing to change then.
    with suppress(DuplicateKeyError):
        await db[COLLECTION].update_one(older, update, upsert=True)


async def open_ones(db: AsyncDatabase[Document], query: Document, limit: int) -> list[Document]:
    """Return the newest open alerts matching `query`."""
    cursor = (
        db[COLLECTION].find({"$and": [{"open": True}, query]}).sort("parked_at", DESCENDING)
    ).limit(limit)
    return [doc async for doc in cursor]


async def count_open(db: AsyncDatabase[Document], query: Document) -> int:
    """Count the open alerts matching `query`."""
    return await db[COLLECTION].count_documents({"$and": [{"open": True}, query]})
