"""The activity feed in MongoDB (collection `activity`): every event, once."""

from __future__ import annotations

from typing import Any

from pymongo import DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from shared import mongo

COLLECTION = "activity"
INDEXES = [IndexModel([("occurred_at", DESCENDING)], name="time")]

Document = dict[str, Any]


async def insert_missing(db: AsyncDatabase[Document], docs: list[Document]) -> None:
    """Store activity entries, each unless its event was stored before."""
    await mongo.insert_missing(db[COLLECTION], docs)
