"""The figures' documents, in the hazard case service's own database.

- `stat_hazard_facts`: one small fact per hazard (about 120 bytes), `_id` =
  "<school>|<month>|<hazard>", so that a school's month is read as one index range of `_id`
  (MongoDB's, and our FerretDB build's: see deploy/local's patch).
- `stat_months`: per school and month, the revision its facts are at (one counter).
- `stat_due`: per school and month with hazards still running to a deadline, the earliest
  of those deadlines (`at`), so that its figures are summarised again when it passes.
- `stat_overdue`: one small entry per hazard past its deadline and still running,
  `_id` = "<school path><month>|<hazard>", so that any subtree's overdue hazards are read as
  one `_id` range (the grid's path is a prefix of its schools').
- `stat_cells`: per grid and period (a month, or a day), the summary of each grid just below
  it: a township's cell holds its schools', a county's its townships', a school's its own.
- `stat_school_lists`: a county's schools per period, apart, so that cells stay small.
- `stat_marks`: hazards changed since their figures were last refreshed.

Bounds: a fact, a month's revision and a due entry are a few fields each; a summary is counts
by status, category and grade (bounded by the vocabulary) plus a handful of numbers, whatever
the number of hazards; a cell holds one summary per grid just below its grid, and a school
list one per school of a county, so both grow with the registry (a county of 2,000 schools:
about 600 KB), never with the hazards.

All are kept by single-document writes that only move forward: a hazard's fact replaces only
an older version of itself, and a summary replaces only an older revision of itself in its
parent's cell. Events may come twice or out of order; nothing is counted twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from contextlib import suppress
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared import mongo

FACTS = "stat_hazard_facts"
MONTHS = "stat_months"
DUE = "stat_due"
OVERDUE = "stat_overdue"
CELLS = "stat_cells"
SCHOOL_LISTS = "stat_school_lists"
MARKS = "stat_marks"
# Before facts had documents of their own: one document per school-month holding all of them.
FORMER_FACTS = "stat_facts"

Document = dict[str, Any]
# FerretDB reads at most 500 ids of an `$in` by index (deploy/local's patch).
IDS_PER_READ = 500


def cell_id(grid_id: str, period: str) -> str:
    """Return the id of a grid's cell for a period: a month (YYYY-MM) or a day (YYYY-MM-DD)."""
    return f"{grid_id}|{period}"


def fact_id(school_id: str, month: str, hazard_id: str) -> str:
    """Return the id of a hazard's fact: under its school-month, so a month reads as a range."""
    return f"{school_id}|{month}|{hazard_id}"


async def mark(db: AsyncDatabase[Document], hazard_ids: Iterable[str], at: datetime) -> None:
    """Remember that hazards changed (one command; a burst of changes is refreshed once)."""
    marks = [
        UpdateOne({"_id": hazard_id}, {"$set": {"at": at}}, upsert=True)
        for hazard_id in dict.fromkeys(hazard_ids)
    ]
    await mongo.bulk_write_in_parts(db[MARKS], marks)


async def marked(db: AsyncDatabase[Document], limit: int) -> list[Document]:
    """Return some marked hazards."""
    return [doc async for doc in db[MARKS].find({}).limit(limit)]


async def unmark(db: AsyncDatabase[Document], marks: list[Document]) -> None:
    """Forget marks that were refreshed; a hazard marked again meanwhile stays marked."""
    for start in range(0, len(marks), 50):
        await asyncio.gather(
            *(
                db[MARKS].delete_one({"_id": m["_id"], "at": m["at"]})
                for m in marks[start : start + 50]
            )
        )


async def put_facts(
    db: AsyncDatabase[Document], school_id: str, month: str, facts: dict[str, Document]
) -> None:
    """Store hazards' facts (by hazard id) of one school-month, each unless a newer version of
    it is stored: one read, one insert and one bulk of updates for the batch."""
    ids = {fact_id(school_id, month, hazard_id): fact for hazard_id, fact in facts.items()}
    stored: dict[str, int] = {}
    keys = list(ids)
    for start in range(0, len(keys), IDS_PER_READ):
        part = {"_id": {"$in": keys[start : start + IDS_PER_READ]}}
        stored |= {doc["_id"]: doc["v"] async for doc in db[FACTS].find(part, {"v": 1})}
    new = [{"_id": doc_id, **fact} for doc_id, fact in ids.items() if doc_id not in stored]
    inserted = await mongo.insert_missing(db[FACTS], new)
    # Older ones, and new ones another replica inserted first: each replaced only if older.
    updates = [
        UpdateOne({"_id": doc_id, "v": {"$lt": fact["v"]}}, {"$set": fact})
        for doc_id, fact in ids.items()
        if doc_id not in inserted and stored.get(doc_id, -1) < fact["v"]
    ]
    await mongo.bulk_write_in_parts(db[FACTS], updates)


def _prefix_range(prefix: str) -> Document:
    """Return the `_id` condition selecting the ids that start with `prefix` (read as one index
    range by MongoDB, and by our FerretDB build: see deploy/local's patch)."""
    return {"$gte": prefix, "$lt": prefix[:-1] + chr(ord(prefix[-1]) + 1)}


async def month_facts(
    db: AsyncDatabase[Document], school_id: str, month: str
) -> dict[str, Document]:
    """Return a school-month's facts by hazard id: one read of an `_id` range."""
    prefix = fact_id(school_id, month, "")
    cursor = db[FACTS].find({"_id": _prefix_range(prefix)})
    return {doc.pop("_id").removeprefix(prefix): doc async for doc in cursor}


async def next_revision(
    db: AsyncDatabase[Document], school_id: str, school_path: str, month: str
) -> int:
    """Count one more change of a school-month and return its revision: summaries of the
    month compete by it, the last counted winning."""
    for _ in range(2):  # two replicas creating the counter at once: one of them retries
        with suppress(DuplicateKeyError):
            doc = await db[MONTHS].find_one_and_update(
                {"_id": cell_id(school_id, month)},
                {"$inc": {"rev": 1}, "$set": {"path": school_path, "month": month}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
            if doc is not None:  # always, with an upsert
                return int(doc["rev"])
    raise RuntimeError(f"could not count a change of {cell_id(school_id, month)}")


async def revision_at_least(
    db: AsyncDatabase[Document], school_id: str, month: str, rev: int
) -> None:
    """Make a school-month's next revision later than `rev` (facts moved from elsewhere)."""
    with suppress(DuplicateKeyError):  # created meanwhile: $max again on what is there
        await db[MONTHS].update_one(
            {"_id": cell_id(school_id, month)}, {"$max": {"rev": rev}}, upsert=True
        )
        return
    await db[MONTHS].update_one({"_id": cell_id(school_id, month)}, {"$max": {"rev": rev}})


async def put_due(
    db: AsyncDatabase[Document],
    school_id: str,
    school_path: str,
    month: str,
    rev: int,
    at: float | None,
) -> None:
    """Keep the earliest deadline still running in a school-month (None: none is), unless a
    later revision set it meanwhile."""
    key = {"_id": cell_id(school_id, month), "rev": {"$lte": rev}}
    if at is None:
        await db[DUE].delete_one(key)
        return
    with suppress(DuplicateKeyError):  # a later revision is there
        await db[DUE].update_one(
            key,
            {"$set": {"at": at, "rev": rev, "path": school_path, "month": month}},
            upsert=True,
        )


async def due(db: AsyncDatabase[Document], now: float, limit: int) -> list[Document]:
    """Return school-months in which a deadline has passed since they were summarised."""
    return [doc async for doc in db[DUE].find({"at": {"$lte": now}}).limit(limit)]


async def put_overdue(
    db: AsyncDatabase[Document],
    school_path: str,
    month: str,
    rev: int,
    overdue: dict[str, Document],
) -> None:
    """Make a school-month's overdue entries those of `overdue` (facts by hazard id), unless a
    later revision changed them meanwhile: one read, and writes only for what changed."""
    prefix = f"{school_path}{month}|"
    wanted = {prefix + hazard_id: fact for hazard_id, fact in overdue.items()}
    stored = {
        doc["_id"]: doc
        async for doc in db[OVERDUE].find({"_id": _prefix_range(prefix)}, {"due": 1, "rev": 1})
    }
    gone = [doc_id for doc_id in stored if doc_id not in wanted]
    if gone:
        await db[OVERDUE].delete_many({"_id": {"$in": gone}, "rev": {"$lte": rev}})
    entries = {
        doc_id: {"due": fact["due"], "rep": fact["rep"], "rev": rev}
        for doc_id, fact in wanted.items()
        if doc_id not in stored or stored[doc_id]["due"] != fact["due"]
    }
    inserted = await mongo.insert_missing(
        db[OVERDUE], [{"_id": doc_id, **entry} for doc_id, entry in entries.items()]
    )
    moved = [  # a deadline extended and passed again
        UpdateOne({"_id": doc_id, "rev": {"$lte": rev}}, {"$set": entry})
        for doc_id, entry in entries.items()
        if doc_id not in inserted
    ]
    await mongo.bulk_write_in_parts(db[OVERDUE], moved)


async def overdue_under(
    db: AsyncDatabase[Document], grid_path: str, reported: Document, limit: int
) -> list[tuple[str, float]]:
    """Return (hazard id, deadline) of the overdue hazards under a grid reported in a span of
    POSIX times (`$gte`/`$lt`), the longest overdue first."""
    query = {"_id": _prefix_range(grid_path), "rep": reported}
    cursor = db[OVERDUE].find(query).sort("due", 1).limit(limit)
    return [(doc["_id"].rsplit("|", 1)[1], doc["due"]) async for doc in cursor]


async def former_facts(db: AsyncDatabase[Document], limit: int) -> list[Document]:
    """Return some school-month documents of facts as they were kept before (to move out)."""
    return [doc async for doc in db[FORMER_FACTS].find({}).limit(limit)]


async def drop_former(db: AsyncDatabase[Document], doc_id: str) -> None:
    """Forget a former school-month document once its facts are stored one by one."""
    await db[FORMER_FACTS].delete_one({"_id": doc_id})


async def put_child(
    db: AsyncDatabase[Document], grid_id: str, period: str, child_id: str, entry: Document
) -> Document | None:
    """Set a child's summary in a grid's cell for a period unless a newer revision is there;
    return the cell as it is after (its own revision counts the changes it took)."""
    newer = {
        "$or": [
            {f"kids.{child_id}": {"$exists": False}},
            {f"kids.{child_id}.rev": {"$lt": entry["rev"]}},
        ]
    }
    with suppress(DuplicateKeyError):  # a newer revision is there: pass on the cell as it is
        return await db[CELLS].find_one_and_update(
            {"_id": cell_id(grid_id, period), **newer},
            {"$set": {f"kids.{child_id}": entry}, "$inc": {"rev": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
    return await db[CELLS].find_one({"_id": cell_id(grid_id, period)})


async def put_school(
    db: AsyncDatabase[Document], grid_id: str, period: str, school_id: str, entry: Document
) -> None:
    """Keep a school's summary also two levels up (a county's cell lists its schools), so
    that a county's per-school figures read one document per period."""
    newer = {
        "$or": [
            {f"schools.{school_id}": {"$exists": False}},
            {f"schools.{school_id}.rev": {"$lt": entry["rev"]}},
        ]
    }
    with suppress(DuplicateKeyError):  # a newer revision is there already
        await db[SCHOOL_LISTS].update_one(
            {"_id": cell_id(grid_id, period), **newer},
            {"$set": {f"schools.{school_id}": entry}},
            upsert=True,
        )


async def cells(db: AsyncDatabase[Document], grid_id: str, periods: list[str]) -> list[Document]:
    """Return a grid's cells for some periods (missing ones: no hazards)."""
    return await _by_ids(db, CELLS, [cell_id(grid_id, period) for period in periods])


async def school_lists(
    db: AsyncDatabase[Document], grid_id: str, periods: list[str]
) -> list[Document]:
    """Return the lists of schools kept for a grid two levels above schools, for some periods."""
    return await _by_ids(db, SCHOOL_LISTS, [cell_id(grid_id, period) for period in periods])


async def _by_ids(db: AsyncDatabase[Document], collection: str, ids: list[str]) -> list[Document]:
    # One find_one per id: FerretDB answers `_id` equality from its index, `$in` by scanning.
    found = await asyncio.gather(*(db[collection].find_one({"_id": doc_id}) for doc_id in ids))
    return [doc for doc in found if doc is not None]
