"""Facts per school and month (collection `stat_facts`) and, per grid and month, the summaries
of every school beneath it (collection `stat_cells`).

Both are kept by single-document writes that only move forward: a hazard's fact replaces an
older version of itself, and a school's summary replaces an older revision of itself in each
cell above it. Events may come twice or out of order; nothing is counted twice.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

FACTS = "stat_facts"
CELLS = "stat_cells"

Document = dict[str, Any]


def cell_id(grid_id: str, month: str) -> str:
    """Return the id of a grid's cell for a month (YYYY-MM)."""
    return f"{grid_id}|{month}"


async def put_fact(
    db: AsyncDatabase[Document],
    school_id: str,
    school_path: str,
    month: str,
    hazard_id: str,
    fact: Document,
) -> Document | None:
    """Store a hazard's fact unless a newer version is stored; return the school-month doc."""
    newer = {
        "$or": [
            {f"h.{hazard_id}": {"$exists": False}},
            {f"h.{hazard_id}.v": {"$lt": fact["v"]}},
        ]
    }
    # A duplicate key means a newer version is stored; the cells above may still need it.
    with suppress(DuplicateKeyError):
        await db[FACTS].find_one_and_update(
            {"_id": cell_id(school_id, month), **newer},
            {
                "$set": {f"h.{hazard_id}": fact, "path": school_path, "month": month},
                "$inc": {"rev": 1},
            },
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
    return await db[FACTS].find_one({"_id": cell_id(school_id, month)})


async def put_summary(
    db: AsyncDatabase[Document], grid_id: str, month: str, school_id: str, entry: Document
) -> None:
    """Set a school's summary in one grid's cell unless a newer revision is there."""
    newer = {
        "$or": [
            {f"kids.{school_id}": {"$exists": False}},
            {f"kids.{school_id}.rev": {"$lt": entry["rev"]}},
        ]
    }
    with suppress(DuplicateKeyError):  # a newer revision is there already
        await db[CELLS].update_one(
            {"_id": cell_id(grid_id, month), **newer},
            {"$set": {f"kids.{school_id}": entry}},
            upsert=True,
        )


async def cells(db: AsyncDatabase[Document], grid_id: str, months: list[str]) -> list[Document]:
    """Return a grid's cells for some months (missing months: no hazards)."""
    found = await asyncio.gather(
        *(db[CELLS].find_one({"_id": cell_id(grid_id, month)}) for month in months)
    )
    return [doc for doc in found if doc is not None]
