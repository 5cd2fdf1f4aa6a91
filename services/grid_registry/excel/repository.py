"""Reading what an import needs in one pass per collection, and writing it in batches.

FerretDB answers filters on fields other than `_id` by scanning, so an import never queries
row by row: it loads the caller's grids, points, people and accounts once, and looks everything
up in memory. Writes go in unordered batches; documents that already exist (a re-run after a
crash) are skipped, which is what makes an interrupted import safe to run again.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from services.grid_registry.grids import repository as grids
from services.grid_registry.people import repository as people
from services.grid_registry.risk_points import repository as points
from shared.auth import Principal, scope_filter

Document = dict[str, Any]

BATCH = 1_000
CONCURRENT_WRITES = 50  # single-document updates in flight at once
DUPLICATE_KEY = 11000
NO_OUTBOX = {"outbox": 0}


def _prefix(path: str) -> dict[str, Any]:
    return {"$regex": "^" + re.escape(path)}


async def grids_in_scope(db: AsyncDatabase[Document], principal: Principal) -> list[Document]:
    """Return every grid of the caller's subtree (one scan)."""
    cursor = db[grids.COLLECTION].find(scope_filter(principal, "path"), NO_OUTBOX)
    return [doc async for doc in cursor]


async def grids_under(db: AsyncDatabase[Document], path: str) -> list[Document]:
    """Return a grid and every grid below it (one scan)."""
    cursor = db[grids.COLLECTION].find({"path": _prefix(path)}, NO_OUTBOX)
    return [doc async for doc in cursor]


async def grids_by_id(db: AsyncDatabase[Document], grid_ids: Iterable[str]) -> dict[str, Document]:
    """Return grids by id (the few above a scope root: indexed reads)."""
    return await grids.get_many(db, sorted(set(grid_ids)))


async def points_in_scope(db: AsyncDatabase[Document], principal: Principal) -> list[Document]:
    """Return every risk point of the caller's subtree (one scan)."""
    cursor = db[points.COLLECTION].find(scope_filter(principal, "grid_path"), NO_OUTBOX)
    return [doc async for doc in cursor]


async def points_under(db: AsyncDatabase[Document], path: str) -> list[Document]:
    """Return the risk points of a grid's subtree (one scan)."""
    cursor = db[points.COLLECTION].find({"grid_path": _prefix(path)}, NO_OUTBOX)
    return [doc async for doc in cursor]


async def people_at(db: AsyncDatabase[Document], grid_ids: set[str]) -> list[Document]:
    """Return the people registered at these grids (one scan of `people`)."""
    return [doc async for doc in db[people.PEOPLE].find({}) if doc.get("grid_id") in grid_ids]


async def accounts(db: AsyncDatabase[Document]) -> dict[str, Document]:
    """Return every login by username, without password hashes (one scan of `accounts`)."""
    cursor = db[people.ACCOUNTS].find({}, {"person_id": 1, "roles": 1, "agency_id": 1})
    return {doc["_id"]: doc async for doc in cursor}


def _ignore(done: int) -> None:
    """Report no progress (the default)."""


async def insert_new(
    db: AsyncDatabase[Document],
    collection: str,
    docs: Sequence[Document],
    advance: Callable[[int], None] = _ignore,
) -> int:
    """Insert documents in unordered batches, skipping ids that exist; return how many went in."""
    inserted = 0
    for start in range(0, len(docs), BATCH):
        batch = docs[start : start + BATCH]
        try:
            result = await db[collection].insert_many(batch, ordered=False)
            inserted += len(result.inserted_ids)
        except BulkWriteError as exc:
            # Already there: written by an earlier, interrupted run of the same import.
            if any(e.get("code") != DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
                raise
            inserted += int(exc.details.get("nInserted", 0))
        advance(len(batch))
    return inserted


async def update_each(
    db: AsyncDatabase[Document],
    collection: str,
    updates: Sequence[tuple[Document, Document]],
    advance: Callable[[int], None] = _ignore,
) -> int:
    """Apply (filter, update) pairs, a few at once; return how many documents changed.

    Filters carry the version read, so a document changed meanwhile is left alone.
    """
    changed = 0
    for start in range(0, len(updates), CONCURRENT_WRITES):
        chunk = updates[start : start + CONCURRENT_WRITES]
        results = await asyncio.gather(
            *(db[collection].update_one(query, update) for query, update in chunk)
        )
        changed += sum(result.modified_count for result in results)
        advance(len(chunk))
    return changed


async def gather_chunked(
    calls: Sequence[Awaitable[Any]], advance: Callable[[int], None] = _ignore
) -> list[Any]:
    """Await calls a few at once, returning results or exceptions in order."""
    results: list[Any] = []
    for start in range(0, len(calls), CONCURRENT_WRITES):
        chunk = calls[start : start + CONCURRENT_WRITES]
        results.extend(await asyncio.gather(*chunk, return_exceptions=True))
        advance(len(chunk))
    return results
