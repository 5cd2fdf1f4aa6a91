"""The audit trail in MongoDB (collection `audit`): every change, who made it, before and after.

Insert-only: nothing in the registry updates or deletes an audit record.
"""

from __future__ import annotations

from typing import Any

from pymongo import DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from shared.auth import Principal
from shared.clock import utc_now
from shared.ids import new_id

COLLECTION = "audit"
INDEXES = [IndexModel([("target_id", 1), ("at", DESCENDING)], name="target")]

Document = dict[str, Any]


async def record(
    db: AsyncDatabase[Document],
    *,
    actor: Principal | None,
    action: str,
    target_kind: str,
    target_id: str,
    before: Any,
    after: Any,
) -> None:
    """Append one audit record."""
    await db[COLLECTION].insert_one(
        {
            "_id": new_id(),
            "at": utc_now(),
            "actor": {"person_id": actor.user_id, "name": actor.name} if actor else None,
            "action": action,
            "target_kind": target_kind,
            "target_id": target_id,
            "before": before,
            "after": after,
        }
    )


async def for_target(db: AsyncDatabase[Document], target_id: str, limit: int) -> list[Document]:
    """Return the newest audit records of one object."""
    cursor = db[COLLECTION].find({"target_id": target_id}).sort("at", DESCENDING).limit(limit)
    return [doc async for doc in cursor]
