"""Which hazard is the open one for a point and category (collection `open_by_place`).

A report on a point and category claims the key before opening a hazard; a later report finds
the claim and joins that hazard while it is open and recent enough. FerretDB has no
transactions, so the claim is its own document, changed only by compare-and-set.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from shared import mongo
from shared.vocabulary import HazardCategory

COLLECTION = "open_by_place"

Document = dict[str, Any]


def key(point_id: str, category: HazardCategory) -> str:
    """Return the claim key of a point and category."""
    return f"{point_id}|{category.value}"


async def get(db: AsyncDatabase[Document], claim_key: str) -> Document | None:
    """Return the claim on a key, or None."""
    return await db[COLLECTION].find_one({"_id": claim_key})


async def get_many(db: AsyncDatabase[Document], claim_keys: list[str]) -> dict[str, Document]:
    """Return the claims on these keys that exist, by key (one command)."""
    if not claim_keys:
        return {}
    cursor = db[COLLECTION].find({"_id": {"$in": claim_keys}})
    return {doc["_id"]: doc async for doc in cursor}


def document(claim_key: str, hazard_id: str, at: datetime) -> Document:
    """Return the claim of a key by a new hazard."""
    return {"_id": claim_key, "hazard_id": hazard_id, "claimed_at": at}


async def take_many(db: AsyncDatabase[Document], claims: list[Document]) -> set[str]:
    """Take free keys for new hazards in one command; return the keys taken (a key someone
    claimed first is not)."""
    return await mongo.insert_missing(db[COLLECTION], claims)


async def replace(
    db: AsyncDatabase[Document], claim_key: str, old: str, hazard_id: str, at: datetime
) -> bool:
    """Move a key from a finished (or old) hazard to a new one; False if it moved meanwhile."""
    result = await db[COLLECTION].update_one(
        {"_id": claim_key, "hazard_id": old}, {"$set": {"hazard_id": hazard_id, "claimed_at": at}}
    )
    return result.modified_count == 1
