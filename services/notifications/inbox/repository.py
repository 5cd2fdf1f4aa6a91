"""Notification documents in MongoDB (collection `notifications`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo import DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from shared import mongo

COLLECTION = "notifications"
INDEXES = [IndexModel([("recipient_id", 1), ("created_at", DESCENDING)], name="inbox")]

Document = dict[str, Any]


async def insert_once(db: AsyncDatabase[Document], doc: Document) -> bool:
    """Store a notification unless one with its id exists; tell whether it was new."""
    return await mongo.insert_once(db[COLLECTION], doc)


async def insert_missing(db: AsyncDatabase[Document], docs: Sequence[Document]) -> set[str]:
    """Store, in one command, the notifications whose ids are not there yet; return those ids."""
    return await mongo.insert_missing(db[COLLECTION], docs)


async def inbox(
    db: AsyncDatabase[Document], recipient_id: str, *, limit: int
) -> tuple[list[Document], int]:
    """Return a person's newest notifications and how many are unread."""
    cursor = (
        db[COLLECTION]
        .find({"recipient_id": recipient_id})
        .sort("created_at", DESCENDING)
        .limit(limit)
    )
    items = [doc async for doc in cursor]
    unread = await db[COLLECTION].count_documents({"recipient_id": recipient_id, "read": False})
    return items, unread


async def mark_read(db: AsyncDatabase[Document], recipient_id: str, notification_id: str) -> bool:
    """Mark one of a person's notifications read; False if it is not theirs."""
    result = await db[COLLECTION].update_one(
        {"_id": notification_id, "recipient_id": recipient_id}, {"$set": {"read": True}}
    )
    return result.matched_count == 1
