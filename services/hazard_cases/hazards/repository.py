"""Hazard documents in MongoDB (collection `hazards`); `_id` is the report id."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pymongo import DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_cases.hazards.lifecycle import OPEN_STATUSES
from shared import mongo
from shared.vocabulary import HazardStatus

COLLECTION = "hazards"
INDEXES = [
    IndexModel([("grid_path", 1), ("status", 1)], name="scope_status"),
    IndexModel([("point_id", 1), ("status", 1)], name="point_status"),
    IndexModel([("assignee.person_id", 1)], name="assignee"),
    IndexModel([("reporter.person_id", 1)], name="reporter"),
    IndexModel([("reported_at", DESCENDING)], name="reported_at"),
    IndexModel([("next_check_at", 1)], name="next_check_at"),
    IndexModel([("status", 1)], name="status"),
]

Document = dict[str, Any]
HIDDEN = {"outbox": 0}


async def insert_new(db: AsyncDatabase[Document], doc: Document) -> bool:
    """Store a new hazard; False if one with this id exists (a redelivered report)."""
    return await mongo.insert_once(db[COLLECTION], doc)


async def insert_many_new(db: AsyncDatabase[Document], docs: list[Document]) -> set[str]:
    """Store new hazards in one command; return the ids stored now (not redelivered ones)."""
    return await mongo.insert_missing(db[COLLECTION], docs)


async def get(db: AsyncDatabase[Document], hazard_id: str) -> Document | None:
    """Return one hazard, or None."""
    return await db[COLLECTION].find_one({"_id": hazard_id}, HIDDEN)


async def get_many(db: AsyncDatabase[Document], ids: Iterable[str]) -> dict[str, Document]:
    """Return the hazards with these ids that exist, by id (one command)."""
    wanted = list(ids)
    if not wanted:
        return {}
    return {doc["_id"]: doc async for doc in db[COLLECTION].find({"_id": {"$in": wanted}}, HIDDEN)}


async def add_joins(
    db: AsyncDatabase[Document], hazard_id: str, report_ids: list[str], update: Document
) -> bool:
    """Count joined reports in an open hazard's summary, unless one of them was counted before
    (its id is among the hazard's recent joins); tell whether they were counted."""
    open_now = [status.value for status in OPEN_STATUSES]
    result = await db[COLLECTION].update_one(
        {"_id": hazard_id, "status": {"$in": open_now}, "recent_link_ids": {"$nin": report_ids}},
        update,
    )
    return result.modified_count == 1


async def waiting(
    db: AsyncDatabase[Document],
    *,
    point_id: str | None = None,
    grid_id: str | None = None,
    hazard_id: str | None = None,
) -> list[Document]:
    """Return hazards that still wait for someone to answer: one, those at a point, or those
    anywhere under a grid (its head may stand in for vacant grids below).

    Only reported ones: a hazard rejected or merged before anyone answered has no assignee
    either, and must stay as it is.
    """
    unassigned = {"status": HazardStatus.REPORTED.value, "assignee": None}
    if hazard_id or point_id:
        place = {"_id": hazard_id} if hazard_id else {"point_id": point_id}
        cursor = db[COLLECTION].find({**place, **unassigned}, HIDDEN)
        return [doc async for doc in cursor]
    # Equalities only: FerretDB filters those in SQLite, a regex on the path it would test on
    # every hazard itself. The waiting few are then picked by path here.
    below = f"/{grid_id}/"
    return [
        doc async for doc in db[COLLECTION].find(unassigned, HIDDEN) if below in doc["grid_path"]
    ]


async def update_if_version(
    db: AsyncDatabase[Document], hazard_id: str, version: int, update: Document
) -> bool:
    """Apply `update` only if the hazard is still at `version` (optimistic concurrency)."""
    result = await db[COLLECTION].update_one({"_id": hazard_id, "version": version}, update)
    return result.modified_count == 1


async def page(
    db: AsyncDatabase[Document], query: Document, *, skip: int, limit: int
) -> tuple[list[Document], int]:
    """Return one page of hazards matching `query`, newest first, and the total count."""
    cursor = db[COLLECTION].find(query, HIDDEN).sort("reported_at", DESCENDING)
    items = [doc async for doc in cursor.skip(skip).limit(limit)]
    return items, await db[COLLECTION].count_documents(query)


async def running_timers(db: AsyncDatabase[Document]) -> list[tuple[str, int, datetime]]:
    """Return (id, version, next check) of every hazard with a timer (reads every hazard on
    FerretDB: see timer_hints.py)."""
    cursor = db[COLLECTION].find(
        {"next_check_at": {"$ne": None}}, {"version": 1, "next_check_at": 1}
    )
    return [(doc["_id"], doc["version"], doc["next_check_at"]) async for doc in cursor]


async def link_once(
    db: AsyncDatabase[Document], hazard_id: str, linked_id: str, update: Document
) -> bool:
    """Apply a link update unless `linked_id` is linked already (whatever the version)."""
    result = await db[COLLECTION].update_one(
        {"_id": hazard_id, "linked_report_ids": {"$ne": linked_id}}, update
    )
    return result.modified_count == 1


async def listed(
    db: AsyncDatabase[Document], query: Document, sort: list[tuple[str, int]], limit: int
) -> list[Document]:
    """Return hazards matching `query` in `sort` order, without their timelines."""
    cursor = db[COLLECTION].find(query, {"outbox": 0, "timeline": 0}).sort(sort).limit(limit)
    return [doc async for doc in cursor]


async def append_once(
    db: AsyncDatabase[Document], hazard_id: str, ids_field: str, item_id: str, update: Document
) -> bool:
    """Apply `update` unless `item_id` is in the hazard's `ids_field` already (a redelivery)."""
    result = await db[COLLECTION].update_one(
        {"_id": hazard_id, ids_field: {"$ne": item_id}}, update
    )
    return result.modified_count == 1
