"""Agency documents in MongoDB (collection `agencies`)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from shared import mongo

COLLECTION = "agencies"
INDEXES = [IndexModel([("categories", 1)], name="categories")]

Document = dict[str, Any]


async def insert(db: AsyncDatabase[Document], doc: Document) -> bool:
    """Store a new agency; False if one with its id exists."""
    return await mongo.insert_once(db[COLLECTION], doc)


async def get(db: AsyncDatabase[Document], agency_id: str) -> Document | None:
    """Return one agency, or None."""
    return await db[COLLECTION].find_one({"_id": agency_id})


async def subscribed_to(db: AsyncDatabase[Document], categories: Collection[str]) -> list[Document]:
    """Return the agencies that subscribe to any of `categories` (one read for a batch)."""
    query = {"categories": {"$in": sorted(categories)}}
    return [doc async for doc in db[COLLECTION].find(query)]
