"""MongoDB through PyMongo's async API (`AsyncMongoClient`, the successor of Motor).

Only what FerretDB v1 also supports is used: single-document atomic writes, unique indexes,
find-and-modify, simple aggregations. No multi-document transactions, no change streams.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pymongo import AsyncMongoClient, IndexModel, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from shared.observability.database import CommandCounter
from shared.observability.metrics import ServiceMetrics

Document = dict[str, Any]
DUPLICATE_KEY = 11000  # the server's error code for a unique index refusing a document


def connect(
    url: str, *, app_name: str, metrics: ServiceMetrics | None = None
) -> AsyncMongoClient[Document]:
    """Create a client (it connects lazily); datetimes come back timezone-aware in UTC. With
    `metrics`, every command it sends is counted (shared/observability/database.py)."""
    return AsyncMongoClient(
        url,
        appname=app_name,
        tz_aware=True,
        serverSelectionTimeoutMS=5_000,
        connectTimeoutMS=5_000,
        event_listeners=[CommandCounter(metrics)] if metrics else [],
    )


async def ensure_indexes(
    db: AsyncDatabase[Document], indexes: Mapping[str, Sequence[IndexModel]]
) -> None:
    """Create the indexes a service declares for its collections that do not exist yet.

    One at a time and only the missing ones: FerretDB v1.24 crashes the connection when a
    createIndexes command lists several indexes that already exist.
    """
    for collection, models in indexes.items():
        existing = {index["name"] async for index in await db[collection].list_indexes()}
        for model in models:
            if model.document["name"] not in existing:
                await db[collection].create_indexes([model])


async def ping(client: AsyncMongoClient[Document]) -> bool:
    """Tell whether the server answers."""
    try:
        await client.admin.command("ping")
    except Exception:
        return False
    return True


async def insert_once(collection: AsyncCollection[Document], doc: Document) -> bool:
    """Insert `doc` unless a document with its `_id` exists; tell whether it was new.

    Consumers derive `_id` from the message they handle, so a redelivery inserts nothing.
    """
    try:
        await collection.insert_one(doc)
    except DuplicateKeyError:
        return False
    return True


async def insert_missing(
    collection: AsyncCollection[Document], docs: Sequence[Document]
) -> set[str]:
    """Insert, in one command, every document whose `_id` is not there yet; return the ids
    inserted now (a batch redelivered in part inserts the rest)."""
    if not docs:
        return set()
    failed: set[int] = set()
    try:
        await collection.insert_many(list(docs), ordered=False)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(error.get("code") != DUPLICATE_KEY for error in errors):
            raise
        failed = {int(error["index"]) for error in errors}
    return {str(doc["_id"]) for n, doc in enumerate(docs) if n not in failed}


# Statements per bulk write command: FerretDB holds a pooled connection per statement until the
# command ends (our local build frees them as it goes; see deploy/local's patch), so a burst
# is sent as several commands of this size.
BULK_STATEMENTS = 50


async def bulk_write_in_parts(
    collection: AsyncCollection[Document], operations: Sequence[Any]
) -> None:
    """Send write operations (UpdateOne, ...) unordered, `BULK_STATEMENTS` per command."""
    for start in range(0, len(operations), BULK_STATEMENTS):
        await collection.bulk_write(
            list(operations[start : start + BULK_STATEMENTS]), ordered=False
        )


async def replace_if_newer(collection: AsyncCollection[Document], doc: Document) -> bool:
    """Store `doc` (which has `_id` and `version`) unless that version or a newer one is there.

    Event consumers keep copies of other services' objects this way: replays and late events
    never overwrite newer state. Returns whether `doc` was stored.
    """
    newer_than_stored = {"_id": doc["_id"], "version": {"$lt": doc["version"]}}
    try:
        result = await collection.replace_one(newer_than_stored, doc, upsert=True)
    except DuplicateKeyError:
        # Someone stored this id between our match and our insert: perhaps an older version
        # (two events handled at once), so compare again, now that the document exists.
        result = await collection.replace_one(newer_than_stored, doc)
        return result.modified_count == 1
    return result.modified_count == 1 or result.upserted_id is not None


async def set_if_newer(
    collection: AsyncCollection[Document],
    doc_id: Any,
    version_field: str,
    version: int,
    fields: Document,
) -> bool:
    """Set `fields` on a document unless its `version_field` is already at `version` or newer.

    Creates the document when missing. One document can hold several copies with their own
    versions (a grid's name, its assignments, its calendar), each kept current independently.
    """
    older = {
        "_id": doc_id,
        "$or": [{version_field: {"$lt": version}}, {version_field: {"$exists": False}}],
    }
    update = {"$set": {**fields, version_field: version}}
    try:
        result = await collection.update_one(older, update, upsert=True)
    except DuplicateKeyError:
        # Created meanwhile (maybe by another field's event): compare again now that it exists.
        result = await collection.update_one(older, update)
        return result.modified_count == 1
    return result.modified_count == 1 or result.upserted_id is not None


async def set_each_if_newer(
    collection: AsyncCollection[Document], changes: Sequence[tuple[Any, int, Document]]
) -> None:
    """Apply many (id, version, fields) changes to documents with a `version` field, each only
    if newer than the stored one: a projection catching up on a burst of events writes them in
    a few round trips instead of one each.

    Missing documents are first created at version 0, so no update needs an upsert: an upsert
    that collides in a bulk write makes FerretDB v1 end the whole command.
    """
    if not changes:
        return
    ids = list(dict.fromkeys(doc_id for doc_id, _, _ in changes))
    await insert_missing(collection, [{"_id": doc_id, "version": 0} for doc_id in ids])
    await bulk_write_in_parts(
        collection,
        [
            UpdateOne(
                {"_id": doc_id, "version": {"$lt": version}},
                {"$set": {**fields, "version": version}},
            )
            for doc_id, version, fields in changes
        ],
    )
