"""Idempotency keys of reports (collection `report_keys`): which body each key was first used with.

One atomic insert per new report decides, across workers and replicas, whether a key is new;
the report itself is never stored here (the case service stores it, deduplicating by its id).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from shared import mongo

COLLECTION = "report_keys"
INDEXES = [IndexModel([("created_at", 1)], name="created_at")]

Document = dict[str, Any]


async def remember(
    db: AsyncDatabase[Document], report_id: str, fingerprint: str, now: datetime
) -> str:
    """Record the key's body; return the fingerprint the key was first used with."""
    doc = {"_id": report_id, "fingerprint": fingerprint, "created_at": now}
    if await mongo.insert_once(db[COLLECTION], doc):
        return fingerprint
    first = await db[COLLECTION].find_one({"_id": report_id})
    return str(first["fingerprint"]) if first else fingerprint


async def forget_older_than(db: AsyncDatabase[Document], cutoff: datetime) -> int:
    """Delete keys recorded before `cutoff`; return how many went."""
    result = await db[COLLECTION].delete_many({"created_at": {"$lt": cutoff}})
    return result.deleted_count
