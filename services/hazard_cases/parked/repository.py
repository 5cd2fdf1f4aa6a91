"""Messages some service gave up on (collection `parked_messages`), kept with the hazard they
concern until an operator has dealt with them; and the flag on that hazard."""

from __future__ import annotations

from typing import Any

from pymongo import DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_cases.hazards import repository as hazards
from services.hazard_cases.hazards.timeline import appended
from shared import mongo

COLLECTION = "parked_messages"
PARKED_IDS = "parked_ids"  # on a hazard: the parked messages it is flagged for
# A hazard flagged for more unresolved parked messages than this keeps the latest (it stays
# flagged while any of them waits; the oldest still wait in /v1/parked-messages).
MAX_PARKED_IDS = 200
KEPT_REPLAYS = 20  # a parked message keeps who replayed it, the latest this many times
INDEXES = [IndexModel([("parked_at", DESCENDING)], name="parked_at")]

Document = dict[str, Any]


async def record(db: AsyncDatabase[Document], doc: Document) -> bool:
    """Keep a parked message once (a redelivered copy adds nothing); tell whether it was new."""
    return await mongo.insert_once(db[COLLECTION], doc)


async def get(db: AsyncDatabase[Document], parked_id: str) -> Document | None:
    """Return one parked message, or None."""
    return await db[COLLECTION].find_one({"_id": parked_id})


async def page(
    db: AsyncDatabase[Document], query: Document, *, skip: int, limit: int
) -> list[Document]:
    """Return parked messages matching `query`, newest first."""
    cursor = db[COLLECTION].find(query).sort("parked_at", DESCENDING).skip(skip).limit(limit)
    return [doc async for doc in cursor]


async def update_if_sequence(
    db: AsyncDatabase[Document], parked_id: str, sequence: int, update: Document
) -> bool:
    """Apply `update` if the parked message is still at `sequence` (nobody changed it since)."""
    result = await db[COLLECTION].update_one({"_id": parked_id, "sequence": sequence}, update)
    return result.modified_count == 1


async def flag_hazard(
    db: AsyncDatabase[Document], hazard_id: str, parked_id: str, timeline_entry: Document
) -> bool:
    """Flag a hazard for a parked message and say so in its timeline, once per message."""
    update = {
        "$push": {
            PARKED_IDS: {"$each": [parked_id], "$slice": -MAX_PARKED_IDS},
            "timeline": appended(timeline_entry),
        },
        "$set": {"flagged": True},
    }
    return await hazards.append_once(db, hazard_id, PARKED_IDS, parked_id, update)


async def unflag_hazard(
    db: AsyncDatabase[Document], hazard_id: str, parked_id: str, timeline_entry: Document
) -> None:
    """Take one parked message off a hazard; the flag goes when none is left."""
    collection = db[hazards.COLLECTION]
    await collection.update_one(
        {"_id": hazard_id, PARKED_IDS: parked_id},
        {"$pull": {PARKED_IDS: parked_id}, "$push": {"timeline": appended(timeline_entry)}},
    )
    # The flag stays while the hazard's place cannot be read either (hazards/opening.py).
    await collection.update_one(
        {"_id": hazard_id, PARKED_IDS: {"$size": 0}, "place_problem": None},
        {"$set": {"flagged": False}},
    )
