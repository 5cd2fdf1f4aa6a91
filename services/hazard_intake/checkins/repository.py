"""What check-ins need of the registry's data, copied from its events.

- `checkin_points`: risk points with their check list and the SHA-256 of their current QR
  token (never the token), newest version kept;
- `checkin_qr_tokens`: token digest → point id, keyed by the digest, so a scan is two reads by
  `_id` (FerretDB scans the collection for any other filter);
- `checkin_grids`: grids with their level and path, newest version kept.

A digest resolves only while its point still announces it, so a replaced or revoked token
stops resolving as soon as the point's newer version arrives, whatever the order of events.
"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from shared.mongo import insert_once, replace_if_newer

POINTS = "checkin_points"
TOKENS = "checkin_qr_tokens"
GRIDS = "checkin_grids"

Document = dict[str, Any]


async def store_point(db: AsyncDatabase[Document], doc: Document) -> bool:
    """Store a point's state unless the same or a newer version is there."""
    return await replace_if_newer(db[POINTS], doc)


async def remember_token(db: AsyncDatabase[Document], digest: str, point_id: str) -> None:
    """Record which point a token digest belongs to (a token never moves to another point)."""
    await insert_once(db[TOKENS], {"_id": digest, "point_id": point_id})


async def point_of_token(db: AsyncDatabase[Document], digest: str) -> str | None:
    """Return the id of the point a token digest was issued for, or None."""
    link = await db[TOKENS].find_one({"_id": digest})
    return str(link["point_id"]) if link else None


async def point(db: AsyncDatabase[Document], point_id: str) -> Document | None:
    """Return a point's stored state, or None."""
    return await db[POINTS].find_one({"_id": point_id})


async def store_grid(db: AsyncDatabase[Document], doc: Document) -> bool:
    """Store a grid's state unless the same or a newer version is there."""
    return await replace_if_newer(db[GRIDS], doc)


async def grid(db: AsyncDatabase[Document], grid_id: str) -> Document | None:
    """Return a grid's stored state, or None."""
    return await db[GRIDS].find_one({"_id": grid_id})
