"""Media documents in MongoDB (collection `media`); `_id` is the media id."""

from __future__ import annotations

from typing import Any

from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from services.media_storage.media.models import MediaStatus

COLLECTION = "media"
INDEXES = [
    IndexModel([("owner_id", 1), ("created_at", -1)], name="owner"),
    IndexModel([("report_id", 1)], name="report"),
]

Document = dict[str, Any]
HIDDEN = {"outbox": 0}


async def insert(db: AsyncDatabase[Document], doc: Document) -> None:
    """Store a new media document."""
    await db[COLLECTION].insert_one(doc)


async def get(db: AsyncDatabase[Document], media_id: str) -> Document | None:
    """Return one media document, or None."""
    return await db[COLLECTION].find_one({"_id": media_id}, HIDDEN)


async def leave_pending(db: AsyncDatabase[Document], media_id: str, update: Document) -> bool:
    """Apply `update` if the media is still pending; tell whether it was (one atomic write)."""
    result = await db[COLLECTION].update_one(
        {"_id": media_id, "status": MediaStatus.PENDING.value}, update
    )
    return result.modified_count == 1


async def attach(
    db: AsyncDatabase[Document], media_id: str, *, owner_id: str, report_id: str, hazard_id: str
) -> bool:
    """Record the report and hazard a photo belongs to, if it is the owner's and in no other
    report.

    Touches only these fields, so it commutes with the confirm (before or after it).
    """
    result = await db[COLLECTION].update_one(
        {"_id": media_id, "owner_id": owner_id, "report_id": {"$in": [None, report_id]}},
        {"$set": {"report_id": report_id, "hazard_id": hazard_id}},
    )
    return result.matched_count == 1
