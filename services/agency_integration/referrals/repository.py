"""Referrals in MongoDB (collection `referrals`): one per hazard and agency it concerns.

A referral keeps what the agency was told of the hazard and every disposition the agency
recorded on it, with the events of those in the document's outbox (shared.outbox): a referral
and its HazardReferred, a disposition and its AgencyDispositionRecorded, are one write each.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from shared import mongo
from shared.events import Event
from shared.ids import derived_id
from shared.outbox import push_outbox

COLLECTION = "referrals"
INDEXES = [
    IndexModel([("agency_id", 1), ("referred_at", -1)], name="agency"),
    IndexModel([("hazard_id", 1)], name="hazard"),
]
# A bound on one agency's answers to one hazard: each also grows the hazard's timeline.
MAX_DISPOSITIONS = 100

Document = dict[str, Any]


def referral_id(agency_id: str, hazard_id: str) -> str:
    """Return the id of the referral of `hazard_id` to `agency_id` (the same on redelivery)."""
    return derived_id("referral", agency_id, hazard_id)


async def insert_missing(db: AsyncDatabase[Document], docs: Sequence[Document]) -> set[str]:
    """Store, in one command, the referrals that do not exist yet; return their ids."""
    return await mongo.insert_missing(db[COLLECTION], docs)


async def get(db: AsyncDatabase[Document], agency_id: str, hazard_id: str) -> Document | None:
    """Return the referral of a hazard to an agency, or None if it was never sent there."""
    return await db[COLLECTION].find_one({"_id": referral_id(agency_id, hazard_id)}, {"outbox": 0})


async def add_disposition(
    db: AsyncDatabase[Document], doc_id: str, disposition: Document, event: Event
) -> bool:
    """Append a disposition and its event in one write; False when the referral is full."""
    result = await db[COLLECTION].update_one(
        {"_id": doc_id, f"dispositions.{MAX_DISPOSITIONS - 1}": {"$exists": False}},
        {"$push": {"dispositions": disposition, **push_outbox(event)["$push"]}},
    )
    return result.modified_count == 1


async def for_hazard(db: AsyncDatabase[Document], hazard_id: str) -> list[Document]:
    """Return the referrals of a hazard, to every agency it was sent to."""
    return [doc async for doc in db[COLLECTION].find({"hazard_id": hazard_id}, {"outbox": 0})]


async def page(
    db: AsyncDatabase[Document], query: Document, *, unanswered: bool, skip: int, limit: int
) -> list[Document]:
    """Return the referrals `query` matches, newest first (optionally those not answered)."""
    query = dict(query)
    if unanswered:
        query["dispositions.0"] = {"$exists": False}
    cursor = db[COLLECTION].find(query, {"outbox": 0}).sort("referred_at", -1)
    return [doc async for doc in cursor.skip(skip).limit(limit)]
