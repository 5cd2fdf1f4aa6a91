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


async def take(db: AsyncDatabase[Document], claim_key: str, hazard_id: str, at: datetime) -> bool:
    """Claim a free key for a new hazard; False if someone claimed it first."""
    return await mongo.insert_once(
        db[COLLECTION], {"_id": claim_key, "hazard_id": hazard_id, "claimed_at": at}
    )


async def replace(
    db: AsyncDatabase[Document], claim_key: str, old: str, hazard_id: str, at: datetime
) -> bool:
    """Move a key from a finished (or old) hazard to a new one; False if it moved meanwhile."""
    result = await db[COLLECTION].update_one(
        {"_id": claim_key, "hazard_id": old}, {"$set": {"hazard_id": hazard_id, "claimed_at": at}}
    )
    return result.modified_count == 1
