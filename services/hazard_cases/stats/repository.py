"""Facts per school and month (collection `stat_facts`) and, per grid and period (a month, or
a day), the summary of each grid just below it (collection `stat_cells`): a township's cell
holds its schools', a county's its townships', a school's its own.

All are kept by single-document writes that only move forward: a hazard's fact replaces an
older version of itself, and a child's summary replaces an older revision of itself in its
parent's cell. Events may come twice or out of order; nothing is counted twice.

Bounds, stated because both grow with the data rather than by design: a school-month's facts
hold one entry (about 120 bytes) per hazard the school reported that month, so MongoDB's
16 MB document limit is reached at about 130,000 (the benchmark's one school holds 4,100:
0.5 MB); a summary carries the deadline of each open hazard below its grid (`open`, for
counting what is overdue when read), so a county's cell grows with its open hazards, about
40 bytes each. Both should move to documents of their own (facts per hazard, overdue counts
kept by deadline buckets) before a province's figures are kept this way.
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

FACTS = "stat_facts"
CELLS = "stat_cells"
SCHOOL_LISTS = "stat_school_lists"  # a county's schools per month, apart: cells stay small
MARKS = "stat_marks"  # hazards changed since their figures were last refreshed

Document = dict[str, Any]


def cell_id(grid_id: str, period: str) -> str:
    """Return the id of a grid's cell for a period: a month (YYYY-MM) or a day (YYYY-MM-DD)."""
    return f"{grid_id}|{period}"


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


async def facts(db: AsyncDatabase[Document], school_id: str, month: str) -> Document | None:
    """Return a school-month's facts document."""
    return await db[FACTS].find_one({"_id": cell_id(school_id, month)})


async def put_facts(
    db: AsyncDatabase[Document],
    school_id: str,
    school_path: str,
    month: str,
    facts: dict[str, Document],
) -> None:
    """Store hazards' facts (by hazard id) in their school-month document, each unless a newer
    version of it is stored: one read and one write for the batch, whatever its size.

    The document grows with the school's hazards of the month and FerretDB rewrites it whole on
    every update, so a burst is written once, not once per hazard. The write is a compare-and-
    set on the document's revision; a replica that wrote meanwhile makes it read again.
    """
    facts_id = cell_id(school_id, month)
    while True:
        stored = await db[FACTS].find_one({"_id": facts_id})
        if stored is None:
            first = {"_id": facts_id, "h": facts, "path": school_path, "month": month, "rev": 1}
            if await mongo.insert_once(db[FACTS], first):
                return
            continue  # another replica created it: compare with what it stored
        kept = stored.get("h", {})
        newer = {
            hazard_id: fact
            for hazard_id, fact in facts.items()
            if hazard_id not in kept or kept[hazard_id]["v"] < fact["v"]
        }
        if not newer:
            return
        changed = await db[FACTS].update_one(
            {"_id": facts_id, "rev": stored["rev"]},
            {
                "$set": {
                    **{f"h.{hazard_id}": fact for hazard_id, fact in newer.items()},
                    "path": school_path,
                    "month": month,
                },
                "$inc": {"rev": 1},
            },
        )
        if changed.modified_count:
            return


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
