"""Open311 clients (`open311_clients`) and the requests filed through Open311 (`open311_requests`).

A client document holds only the hash of its api_key. A request document is written before its
report is published (so a status event can never arrive before it) and shown once `published`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from pymongo import DESCENDING, IndexModel, UpdateMany, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_intake.open311.status import StatusChange
from shared import mongo

CLIENTS = "open311_clients"
REQUESTS = "open311_requests"
# Per hazard, the requests whose reports joined it: its later events reach them by `_id`.
JOINED = "open311_joined"  # hazards some request joined: `_id` the hazard, nothing else
INDEXES = {
    CLIENTS: [IndexModel([("grid_path", 1)], name="grid_path")],
    REQUESTS: [
        IndexModel([("requested_at", DESCENDING)], name="requested_at"),
        IndexModel([("joined_hazard_id", 1)], name="joined_hazard"),
    ],
    JOINED: [],
}
# What never leaves this service: the submitter's contact details.
PUBLIC = {"contact": 0}

Document = dict[str, Any]


async def insert_client(db: AsyncDatabase[Document], doc: Document) -> bool:
    """Store a new client; False if one with its id exists (a retried registration)."""
    return await mongo.insert_once(db[CLIENTS], doc)


async def get_client(db: AsyncDatabase[Document], client_id: str) -> Document | None:
    """Return one client, or None."""
    return await db[CLIENTS].find_one({"_id": client_id})


async def clients(db: AsyncDatabase[Document], query: Document) -> list[Document]:
    """Return the clients matching `query`, oldest first, without their key hashes."""
    cursor = db[CLIENTS].find(query, {"key_hash": 0, "fingerprint": 0}).sort("created_at", 1)
    return [doc async for doc in cursor]


async def revoke_client(db: AsyncDatabase[Document], client_id: str, at: datetime) -> None:
    """Mark a client revoked (keeps the first revocation time)."""
    await db[CLIENTS].update_one(
        {"_id": client_id, "revoked_at": None}, {"$set": {"revoked_at": at}}
    )


async def insert_request(db: AsyncDatabase[Document], doc: Document) -> bool:
    """Store a filed request unless its id exists (a retry with the same Idempotency-Key)."""
    return await mongo.insert_once(db[REQUESTS], doc)


async def mark_published(db: AsyncDatabase[Document], request_id: str) -> None:
    """Show a request: the broker confirmed its report."""
    await db[REQUESTS].update_one({"_id": request_id}, {"$set": {"published": True}})


async def apply_statuses(db: AsyncDatabase[Document], changes: Sequence[StatusChange]) -> None:
    """Apply hazards' newer statuses to their requests and to the requests whose reports joined
    them: per batch, two reads by id and one bulk write, whatever its size.

    Not an upsert (unlike shared.mongo.set_if_newer): every hazard's events arrive here, and
    only those of requests filed through Open311 belong in this collection.
    """
    newest = _newest_per_hazard(changes)
    if not newest:
        return
    ids = list(newest)
    filed = {doc["_id"] async for doc in db[REQUESTS].find({"_id": {"$in": ids}}, {"_id": 1})}
    # Requests that joined a hazard follow it too: one statement for all of them, asked only of
    # the few hazards that have any (a flood of requests joining one hazard is one document
    # each, not a list on the hazard that grows without bound).
    joined = {doc["_id"] async for doc in db[JOINED].find({"_id": {"$in": ids}}, {"_id": 1})}
    updates: list[UpdateOne | UpdateMany] = []
    for hazard_id, change in newest.items():
        newer = {"hazard_version": {"$lt": change.version}}
        if hazard_id in filed:
            updates.append(UpdateOne({"_id": hazard_id, **newer}, {"$set": _status_fields(change)}))
        if hazard_id in joined:
            updates.append(
                UpdateMany(
                    {"joined_hazard_id": hazard_id, **newer}, {"$set": _status_fields(change)}
                )
            )
    await mongo.bulk_write_in_parts(db[REQUESTS], updates)


def _newest_per_hazard(changes: Sequence[StatusChange]) -> dict[str, StatusChange]:
    """Return each hazard's newest change; it shows all the batch says of it, since the body
    answering for the hazard (named once, when it opened) is carried over from older ones."""
    newest: dict[str, StatusChange] = {}
    for change in changes:
        known = newest.get(change.hazard_id)
        if known is None or known.version < change.version:
            newest[change.hazard_id] = change
    for change in changes:
        kept = newest[change.hazard_id]
        if change.agency_responsible and not kept.agency_responsible:
            newest[change.hazard_id] = replace(kept, agency_responsible=change.agency_responsible)
    return newest


async def join_all(db: AsyncDatabase[Document], joins: Sequence[tuple[str, StatusChange]]) -> int:
    """Make requests follow the hazards their reports joined (request id, what the join
    changes); return how many were filed here. Most were not (a flood of teachers' reports):
    one read by id tells, for the whole batch."""
    ids = list(dict.fromkeys(request_id for request_id, _ in joins))
    filed = {doc["_id"] async for doc in db[REQUESTS].find({"_id": {"$in": ids}}, {"_id": 1})}
    mine = [(request_id, change) for request_id, change in joins if request_id in filed]
    for request_id, change in mine:
        # The link first: an event of the hazard arriving meanwhile then reaches the request.
        await db[REQUESTS].update_one(
            {"_id": request_id}, {"$set": {"joined_hazard_id": change.hazard_id}}
        )
        await db[JOINED].update_one({"_id": change.hazard_id}, {"$set": {"any": True}}, upsert=True)
        await _set_status(db, request_id, change)
    return len(mine)


async def _set_status(db: AsyncDatabase[Document], request_id: str, change: StatusChange) -> bool:
    """Set a request's status from a newer version of its hazard."""
    result = await db[REQUESTS].update_one(
        {"_id": request_id, "hazard_version": {"$lt": change.version}},
        {"$set": _status_fields(change)},
    )
    return result.modified_count == 1


def _status_fields(change: StatusChange) -> Document:
    """Return what a request shows of its hazard's state after `change`."""
    fields: Document = {
        "hazard_status": change.hazard_status.value,
        "hazard_version": change.version,
        "status": change.shown.status,
        "status_notes": change.shown.status_notes,
        "updated_at": change.at,
        # An event about the hazard proves its report was published.
        "published": True,
    }
    if change.agency_responsible:
        fields["agency_responsible"] = change.agency_responsible
    return fields


async def find_requests(
    db: AsyncDatabase[Document], query: Document, *, limit: int
) -> list[Document]:
    """Return published requests matching `query`, newest first, without contact details."""
    cursor = (
        db[REQUESTS]
        .find({**query, "published": True}, PUBLIC)
        .sort("requested_at", DESCENDING)
        .limit(limit)
    )
    return [doc async for doc in cursor]
