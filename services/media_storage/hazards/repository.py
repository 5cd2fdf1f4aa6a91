"""Media storage's own copy of what decides who may see a hazard's photos, kept from the case
service's and agency integration's events (services never read each other's databases).

Collection `hazards`, `_id` = the hazard id, one small document per hazard:

    grid_path                where it lies (managers whose subtree holds it see it)
    reporter_id              who reported it
    assignee_id              who must rectify it now (None: nobody yet), of `assignee_version`
    assignee_version         the hazard version that assignee is of: only newer ones apply
    joined_reporter_ids      who joined it with a report of their own: the first
                             `MAX_JOINED_REPORTERS` people, as the case service keeps them

Collection `referrals`, `_id` = "<hazard>|<agency>", one per hazard and agency it was referred
to, with its `grid_path` (as many as agency integration makes: no array grows with them).
Both are read by `_id` only: no index of their own.

Every write is safe to repeat and to receive in any order: facts that never change are set
again, the assignee moves only to a newer version, a person or a referral is added once.
"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared import mongo

HAZARDS = "hazards"
REFERRALS = "referrals"
# The case service lets the first 2,000 people who joined a hazard see it
# (services/hazard_cases/hazards/linked.py, MAX_REPORTER_IDS); so do its photos.
MAX_JOINED_REPORTERS = 2_000

Document = dict[str, Any]


async def _upsert(db: AsyncDatabase[Document], query: Document, update: Document) -> bool:
    """Apply `update` to the hazard `query` matches, creating it when missing; tell whether a
    document was changed or created."""
    try:
        result = await db[HAZARDS].update_one(query, update, upsert=True)
    except DuplicateKeyError:
        # It exists (created meanwhile, or `query` refused it): try once more without creating.
        result = await db[HAZARDS].update_one(query, update)
        return result.modified_count == 1
    return result.modified_count == 1 or result.upserted_id is not None


async def note_facts(
    db: AsyncDatabase[Document], hazard_id: str, *, grid_path: str, reporter_id: str | None
) -> None:
    """Record where a hazard lies and, when the event says, who reported it."""
    fields = {"grid_path": grid_path}
    if reporter_id is not None:
        fields["reporter_id"] = reporter_id
    await _upsert(db, {"_id": hazard_id}, {"$set": fields})


async def set_assignee(
    db: AsyncDatabase[Document], hazard_id: str, *, assignee_id: str | None, version: int
) -> bool:
    """Record who must rectify a hazard as of `version`, unless a newer version is known."""
    return await mongo.set_if_newer(
        db[HAZARDS], hazard_id, "assignee_version", version, {"assignee_id": assignee_id}
    )


async def add_joined_reporter(
    db: AsyncDatabase[Document], hazard_id: str, *, grid_path: str, person_id: str
) -> bool:
    """Add a person who joined a hazard, once, while fewer than the bound have; tell whether
    they were added now."""
    room = {"_id": hazard_id, f"joined_reporter_ids.{MAX_JOINED_REPORTERS - 1}": {"$exists": False}}
    update = {"$set": {"grid_path": grid_path}, "$addToSet": {"joined_reporter_ids": person_id}}
    return await _upsert(db, room, update)


async def get(db: AsyncDatabase[Document], hazard_id: str) -> Document | None:
    """Return the copy of a hazard, or None if no event about it has arrived yet."""
    return await db[HAZARDS].find_one({"_id": hazard_id})


def referral_key(hazard_id: str, agency_id: str) -> str:
    """Return the id of the referral of a hazard to an agency."""
    return f"{hazard_id}|{agency_id}"


async def add_referral(
    db: AsyncDatabase[Document], *, hazard_id: str, agency_id: str, grid_path: str
) -> bool:
    """Record that a hazard was referred to an agency; tell whether it was new."""
    return await mongo.insert_once(
        db[REFERRALS],
        {
            "_id": referral_key(hazard_id, agency_id),
            "hazard_id": hazard_id,
            "agency_id": agency_id,
            "grid_path": grid_path,
        },
    )


async def get_referral(
    db: AsyncDatabase[Document], hazard_id: str, agency_id: str
) -> Document | None:
    """Return the referral of a hazard to an agency, or None if it was not referred there."""
    return await db[REFERRALS].find_one({"_id": referral_key(hazard_id, agency_id)})
