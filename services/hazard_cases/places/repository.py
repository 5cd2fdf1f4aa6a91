"""The case service's copy of the registry: risk points and grids, with their assignments and
calendars, each part kept at its newest version (events may arrive in any order, or twice).
"""

from __future__ import annotations

import asyncio
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from shared.mongo import set_if_newer

POINTS = "points"
GRIDS = "grids"

Document = dict[str, Any]


async def store(
    db: AsyncDatabase[Document],
    collection: str,
    doc_id: str,
    version_field: str,
    version: int,
    fields: Document,
) -> bool:
    """Keep one part of a point or grid copy, unless a newer version of that part is there."""
    return await set_if_newer(db[collection], doc_id, version_field, version, fields)


async def get(db: AsyncDatabase[Document], collection: str, key: str) -> Document | None:
    """Return one copy, or None."""
    return await db[collection].find_one({"_id": key})


async def grids_upward(db: AsyncDatabase[Document], grid_path: str) -> list[Document]:
    """Return the copies of the grids of a path, nearest first (missing ones left out)."""
    ids = [part for part in reversed(grid_path.split("/")) if part]
    docs = await asyncio.gather(*(get(db, GRIDS, grid_id) for grid_id in ids))
    return [doc for doc in docs if doc is not None]
