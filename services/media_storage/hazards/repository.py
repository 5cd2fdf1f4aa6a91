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
again, the assignee moves only to a newer version, a person or a referral is added once. The
events of a burst are written a batch at a time (`apply`), a few commands per batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from shared import mongo

HAZARDS = "hazards"
REFERRALS = "referrals"
# The case service lets the first 2,000 people who joined a hazard see it
# (services/hazard_cases/hazards/linked.py, MAX_REPORTER_IDS); so do its photos.
MAX_JOINED_REPORTERS = 2_000

Document = dict[str, Any]


@dataclass
class CopyChanges:
    """What a batch of events changes in the copies of some hazards, merged per hazard."""

    facts: dict[str, Document] = field(default_factory=dict)  # grid_path, reporter_id
    assignees: dict[str, tuple[int, str | None]] = field(default_factory=dict)  # version, who
    joined: dict[str, list[str]] = field(default_factory=dict)  # people, in order, once each

    def note_facts(self, hazard_id: str, grid_path: str, reporter_id: str | None) -> None:
        facts = self.facts.setdefault(hazard_id, {})
        facts["grid_path"] = grid_path
        if reporter_id is not None:
            facts["reporter_id"] = reporter_id

    def set_assignee(self, hazard_id: str, version: int, assignee_id: str | None) -> None:
        known = self.assignees.get(hazard_id)
        if known is None or known[0] < version:
            self.assignees[hazard_id] = (version, assignee_id)

    def add_joined(self, hazard_id: str, person_id: str) -> None:
        people = self.joined.setdefault(hazard_id, [])
        if person_id not in people:
            people.append(person_id)


async def apply(db: AsyncDatabase[Document], changes: CopyChanges) -> None:
    """Write a batch's changes: missing copies created with their facts, then one bulk of
    updates (facts, and each assignee only if newer), then the joined reporters per hazard.

    Creating first means no update needs an upsert, which in a bulk write would end the whole
    command on FerretDB v1 when two replicas create the same copy at once.
    """
    await mongo.insert_missing(
        db[HAZARDS], [{"_id": hazard_id, **facts} for hazard_id, facts in changes.facts.items()]
    )
    updates = [
        UpdateOne({"_id": hazard_id}, {"$set": facts}) for hazard_id, facts in changes.facts.items()
    ]
    updates += [
        UpdateOne(
            {
                "_id": hazard_id,
                "$or": [
                    {"assignee_version": {"$lt": version}},
                    {"assignee_version": {"$exists": False}},
                ],
            },
            {"$set": {"assignee_id": assignee_id, "assignee_version": version}},
        )
        for hazard_id, (version, assignee_id) in changes.assignees.items()
    ]
    await mongo.bulk_write_in_parts(db[HAZARDS], updates)
    for hazard_id, people in changes.joined.items():
        await _add_joined_reporters(db, hazard_id, people)


async def _add_joined_reporters(
    db: AsyncDatabase[Document], hazard_id: str, people: list[str]
) -> None:
    """Add people who joined a hazard, once each, while fewer than the bound have: all in one
    update when there is room for all, else one at a time until it is full."""
    room_for = len(people)
    if room_for <= MAX_JOINED_REPORTERS:
        everyone = {
            "_id": hazard_id,
            f"joined_reporter_ids.{MAX_JOINED_REPORTERS - room_for}": {"$exists": False},
        }
        added = await db[HAZARDS].update_one(
            everyone, {"$addToSet": {"joined_reporter_ids": {"$each": people}}}
        )
        if added.matched_count:
            return
    for person_id in people:
        room = {
            "_id": hazard_id,
            f"joined_reporter_ids.{MAX_JOINED_REPORTERS - 1}": {"$exists": False},
        }
        added = await db[HAZARDS].update_one(
            room, {"$addToSet": {"joined_reporter_ids": person_id}}
        )
        if not added.matched_count:
            return  # full


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
