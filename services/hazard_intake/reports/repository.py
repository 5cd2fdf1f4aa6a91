"""Idempotency keys of reports (collection `report_keys`): which body each key was first used with.

An insert decides, across workers and replicas, whether a key is new (ledger.py writes them in
groups); the report itself is never stored here (the case service stores it, deduplicating by
its id).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase

COLLECTION = "report_keys"
# No index on created_at: FerretDB v1 does not push a date range down to SQLite, so the daily
# purge scans either way, while an index costs every report's key insert.
INDEXES: list[IndexModel] = []

Document = dict[str, Any]


async def first_fingerprint(db: AsyncDatabase[Document], report_id: str) -> str | None:
    """Return the fingerprint a key was first used with (None if it was forgotten meanwhile)."""
    first = await db[COLLECTION].find_one({"_id": report_id}, {"fingerprint": 1})
    return str(first["fingerprint"]) if first else None


async def forget_older_than(db: AsyncDatabase[Document], cutoff: datetime) -> int:
    """Delete keys recorded before `cutoff`; return how many went."""
    result = await db[COLLECTION].delete_many({"created_at": {"$lt": cutoff}})
    return result.deleted_count
