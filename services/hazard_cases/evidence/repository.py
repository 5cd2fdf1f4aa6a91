"""The case service's copy of media storage's verdicts on rectification photos
(collection `evidence_photos`): which photo exists, whose it is, whether it passed the checks.

One small document per rectification photo, written from media storage's events; finding
photos are not copied (a report's photos are media storage's business alone).
"""

from __future__ import annotations

from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

COLLECTION = "evidence_photos"

Document = dict[str, Any]


def verdict(media_id: str, owner_id: str, rejected_for: str | None) -> Document:
    """Return the copy of one photo's verdict (`rejected_for` is None when it was stored)."""
    return {"_id": media_id, "owner_id": owner_id, "rejected_for": rejected_for}


async def record(db: AsyncDatabase[Document], verdicts: list[Document]) -> None:
    """Store verdicts in one command; a redelivered one sets the same values again."""
    if verdicts:
        await db[COLLECTION].bulk_write(
            [UpdateOne({"_id": v["_id"]}, {"$set": v}, upsert=True) for v in verdicts],
            ordered=False,
        )


async def find(db: AsyncDatabase[Document], media_ids: list[str]) -> dict[str, Document]:
    """Return the verdicts known for these photos, by id (one command)."""
    cursor = db[COLLECTION].find({"_id": {"$in": media_ids}})
    return {doc["_id"]: doc async for doc in cursor}
