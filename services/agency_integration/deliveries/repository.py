"""Webhook deliveries in MongoDB (collection `deliveries`), one per event and agency.

A delivery is claimed with a lease (find-and-modify), so several replicas never send the same
attempt twice at once; an attempt cut off by a crash is retried when its lease runs out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pymongo import IndexModel, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from shared import mongo

COLLECTION = "deliveries"
INDEXES = [
    IndexModel([("status", 1), ("next_attempt_at", 1)], name="due"),
    IndexModel([("agency_id", 1), ("created_at", -1)], name="agency"),
]
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"

Document = dict[str, Any]


async def insert_missing(db: AsyncDatabase[Document], docs: Sequence[Document]) -> set[str]:
    """Store, in one command, the deliveries that do not exist yet; return their ids."""
    return await mongo.insert_missing(db[COLLECTION], docs)


async def claim_due(
    db: AsyncDatabase[Document], now: datetime, lease: timedelta
) -> Document | None:
    """Take the next due delivery for `lease`, or None if nothing is due."""
    return await db[COLLECTION].find_one_and_update(
        {"status": PENDING, "next_attempt_at": {"$lte": now}},
        {"$set": {"next_attempt_at": now + lease}},
        sort=[("next_attempt_at", 1)],
        return_document=ReturnDocument.AFTER,
    )


async def record_success(db: AsyncDatabase[Document], delivery_id: str, now: datetime) -> None:
    """Mark a delivery done."""
    await db[COLLECTION].update_one(
        {"_id": delivery_id},
        {"$set": {"status": DELIVERED, "delivered_at": now}, "$inc": {"attempts": 1}},
    )


async def record_failure(
    db: AsyncDatabase[Document], delivery_id: str, error: str, next_attempt_at: datetime | None
) -> None:
    """Note a failed attempt; schedule the next one, or give up when there is none."""
    update: Document = {"$set": {"last_error": error[:500]}, "$inc": {"attempts": 1}}
    if next_attempt_at is None:
        update["$set"]["status"] = FAILED
    else:
        update["$set"]["next_attempt_at"] = next_attempt_at
    await db[COLLECTION].update_one({"_id": delivery_id}, update)


async def for_agency(db: AsyncDatabase[Document], agency_id: str, limit: int) -> list[Document]:
    """Return an agency's newest deliveries."""
    cursor = db[COLLECTION].find({"agency_id": agency_id}).sort("created_at", -1).limit(limit)
    return [doc async for doc in cursor]
