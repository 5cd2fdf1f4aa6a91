"""Grid documents in MongoDB (collection `grids`)."""

from __future__ import annotations

import asyncio
from typing import Any

from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase

COLLECTION = "grids"
INDEXES = [
    IndexModel([("parent_id", 1)], name="parent"),
    IndexModel([("path", 1)], name="path"),
]

Document = dict[str, Any]


async def insert(db: AsyncDatabase[Document], doc: Document) -> None:
    """Store a new grid document (with its outbox)."""
    await db[COLLECTION].insert_one(doc)


async def get(db: AsyncDatabase[Document], grid_id: str) -> Document | None:
    """Return one grid, or None."""
    return await db[COLLECTION].find_one({"_id": grid_id}, {"outbox": 0})


async def get_many(db: AsyncDatabase[Document], grid_ids: list[str]) -> dict[str, Document]:
    """Return the grids with these ids, by id.

    One indexed read per id, at once: an `$in` filter is not served by FerretDB's _id index.
    """
    docs = await asyncio.gather(*(get(db, grid_id) for grid_id in grid_ids))
    return {doc["_id"]: doc for doc in docs if doc is not None}


async def children(db: AsyncDatabase[Document], parent_id: str) -> list[Document]:
    """Return the direct children of a grid, by name."""
    cursor = db[COLLECTION].find({"parent_id": parent_id}, {"outbox": 0}).sort("name", 1)
    return [doc async for doc in cursor]
