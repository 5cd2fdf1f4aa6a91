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


async def get_many(
    db: AsyncDatabase[Document], collection: str, keys: list[str]
) -> dict[str, Document]:
    """Return the copies with these ids that exist, by id (one command)."""
    if not keys:
        return {}
    return {doc["_id"]: doc async for doc in db[collection].find({"_id": {"$in": keys}})}


async def grids_upward(db: AsyncDatabase[Document], grid_path: str) -> list[Document]:
    """Return the copies of the grids of a path, nearest first (missing ones left out)."""
    ids = [part for part in reversed(grid_path.split("/")) if part]
    docs = await asyncio.gather(*(get(db, GRIDS, grid_id) for grid_id in ids))
    return [doc for doc in docs if doc is not None]


def _people_of(assignments: list[Document]) -> list[Document]:
    """Return every person an assignment list names (heads, members, rotation rosters)."""
    found = []
    for assignment in assignments:
        if assignment.get("valid_to"):
            continue
        if assignment.get("person"):
            found.append(assignment["person"])
        for turn in (assignment.get("rotation") or {}).get("roster", []):
            if turn.get("person"):
                found.append(turn["person"])
    return found


async def person_in_scope(
    db: AsyncDatabase[Document], person_id: str, scope: tuple[str, ...]
) -> Document | None:
    """Return a person (id and name) who holds a current responsibility inside `scope`."""
    for collection, path_field in ((GRIDS, "grid_path"), (POINTS, "grid_path")):
        async for doc in db[collection].find(
            {
                "$or": [
                    {"assignments.person.person_id": person_id},
                    {"assignments.rotation.roster.person.person_id": person_id},
                ]
            },
            {"assignments": 1, path_field: 1},
        ):
            if not any(str(doc.get(path_field, "")).startswith(root) for root in scope):
                continue
            for person in _people_of(doc.get("assignments", [])):
                if person.get("person_id") == person_id:
                    return {"person_id": person_id, "name": person.get("name", "")}
    return None
