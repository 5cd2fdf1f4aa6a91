"""QR tokens in MongoDB (collection `qr_tokens`): the unguessable token is the `_id`."""

from __future__ import annotations

from typing import Any

from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from shared.clock import utc_now

COLLECTION = "qr_tokens"
INDEXES = [IndexModel([("point_id", 1)], name="point")]

Document = dict[str, Any]


async def insert(db: AsyncDatabase[Document], doc: Document) -> None:
    """Store a new token."""
    await db[COLLECTION].insert_one(doc)


async def get(db: AsyncDatabase[Document], token: str) -> Document | None:
    """Return a token record, or None."""
    return await db[COLLECTION].find_one({"_id": token})


async def revoke(db: AsyncDatabase[Document], token: str) -> bool:
    """Mark a token revoked; False if it was unknown or revoked before."""
    result = await db[COLLECTION].update_one(
        {"_id": token, "revoked_at": None}, {"$set": {"revoked_at": utc_now()}}
    )
    return result.modified_count == 1
