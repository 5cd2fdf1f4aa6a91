"""People and login accounts in MongoDB (collections `people` and `accounts`)."""

from __future__ import annotations

from typing import Any

from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase

PEOPLE = "people"
ACCOUNTS = "accounts"
INDEXES = {
    PEOPLE: [IndexModel([("grid_id", 1)], name="grid")],
    ACCOUNTS: [IndexModel([("person_id", 1)], name="person")],
}

Document = dict[str, Any]


async def insert_person(db: AsyncDatabase[Document], doc: Document) -> None:
    """Store a new person."""
    await db[PEOPLE].insert_one(doc)


async def get_person(db: AsyncDatabase[Document], person_id: str) -> Document | None:
    """Return one person, or None."""
    return await db[PEOPLE].find_one({"_id": person_id})


async def get_people(db: AsyncDatabase[Document], person_ids: list[str]) -> dict[str, Document]:
    """Return the people with these ids, by id."""
    return {doc["_id"]: doc async for doc in db[PEOPLE].find({"_id": {"$in": person_ids}})}


async def insert_account(db: AsyncDatabase[Document], doc: Document) -> None:
    """Store a login (its `_id` is the username, so usernames are unique)."""
    await db[ACCOUNTS].insert_one(doc)


async def get_account(db: AsyncDatabase[Document], username: str) -> Document | None:
    """Return the login named `username`, or None."""
    return await db[ACCOUNTS].find_one({"_id": username})
