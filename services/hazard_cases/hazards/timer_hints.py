"""When each hazard's timer runs out, in documents small enough to read every few seconds.

Collection `timer_hints`, `_id` = the hazard id, one per hazard with a pending timer: `at`
(its `next_check_at`) and `v` (the hazard version that says so). The escalation timers look
here instead of at the hazards: on FerretDB any filter but `_id` makes it parse every document
of a collection, and a hazard document is kilobytes (its timeline) where a hint is 60 bytes
(5,000 hazards: 0.8 s of FerretDB's CPU every sweep, against a few milliseconds).

A hint is written after the hazard write it copies, only over an older version, and removed
when the hazard has no timer any more. A hint lost between the two writes (the process killed
there) is found by the backstop, which reads the hazards themselves every few minutes
(`BACKSTOP_SECONDS`): that escalation is late by at most that much, never missed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pymongo import DeleteOne, IndexModel, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from shared import mongo

COLLECTION = "timer_hints"
BACKSTOP_SECONDS = 300.0
INDEXES = [IndexModel([("at", 1)], name="at")]  # MongoDB reads the due ones from it

Document = dict[str, Any]


def timer_of(doc: Document) -> tuple[str, int, datetime | None]:
    """Return what a hint copies from a hazard document: its id, version and next check."""
    return doc["_id"], int(doc["version"]), doc.get("next_check_at")


async def note(
    db: AsyncDatabase[Document], timers: Iterable[tuple[str, int, datetime | None]]
) -> None:
    """Copy hazards' timers (id, version, next check or None) into their hints, each over an
    older version only: one insert and one bulk write for any number."""
    latest: dict[str, tuple[int, datetime | None]] = {}
    for hazard_id, version, at in timers:
        if hazard_id not in latest or latest[hazard_id][0] < version:
            latest[hazard_id] = (version, at)
    pending = {h: (v, at) for h, (v, at) in latest.items() if at is not None}
    inserted = await mongo.insert_missing(
        db[COLLECTION], [{"_id": h, "at": at, "v": v} for h, (v, at) in pending.items()]
    )
    writes: list[Any] = [
        UpdateOne({"_id": h, "v": {"$lt": v}}, {"$set": {"at": at, "v": v}})
        for h, (v, at) in pending.items()
        if h not in inserted
    ]
    writes += [
        DeleteOne({"_id": h, "v": {"$lte": v}}) for h, (v, at) in latest.items() if at is None
    ]
    await mongo.bulk_write_in_parts(db[COLLECTION], writes)


async def due(db: AsyncDatabase[Document], now: datetime, limit: int) -> list[Document]:
    """Return the hints whose time has come, the earliest first."""
    cursor = db[COLLECTION].find({"at": {"$lte": now}}).sort("at", 1).limit(limit)
    return [doc async for doc in cursor]


async def forget(db: AsyncDatabase[Document], hints: Iterable[Document]) -> None:
    """Remove hints of hazards that are gone, unless a newer version was noted meanwhile."""
    gone = [DeleteOne({"_id": hint["_id"], "v": {"$lte": hint["v"]}}) for hint in hints]
    await mongo.bulk_write_in_parts(db[COLLECTION], gone)


async def versions(db: AsyncDatabase[Document]) -> dict[str, int]:
    """Return the version every hint is of, by hazard id (for the backstop)."""
    return {doc["_id"]: doc["v"] async for doc in db[COLLECTION].find({}, {"v": 1})}
