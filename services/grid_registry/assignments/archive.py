"""Assignments that ended long ago, kept out of their grid's or point's document (collection
`assignment_archive`, `_id` = "<target>|<assignment>").

A target's document holds at most `MAX_KEPT` assignments: the current ones and the latest
ended ones. When a change would keep more, the oldest ended ones move here first (copied, then
dropped from the document in its version-guarded write, so a crash in between leaves a copy in
both places, never in neither), and the document notes until when its history is archived
(`archived_until`). A trace-back to a moment before that reads them back from here; nothing is
ever lost from the accountability record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from shared import mongo
from shared.responsibility import Assignment

COLLECTION = "assignment_archive"
INDEXES = [IndexModel([("target_id", 1)], name="target")]
MAX_KEPT = 200  # assignments in a target's document: years of reassignments of one grid

Document = dict[str, Any]


def split(assignments: list[Assignment]) -> tuple[list[Assignment], list[Assignment]]:
    """Return (kept, to archive): the oldest ended assignments beyond `MAX_KEPT` go."""
    excess = len(assignments) - MAX_KEPT
    if excess <= 0:
        return assignments, []
    ended = sorted(
        (a for a in assignments if a.valid_to is not None), key=lambda a: a.valid_to or a.valid_from
    )
    leaving = {a.assignment_id for a in ended[:excess]}
    return (
        [a for a in assignments if a.assignment_id not in leaving],
        [a for a in assignments if a.assignment_id in leaving],
    )


async def store(
    db: AsyncDatabase[Document], kind: str, target_id: str, leaving: list[Assignment]
) -> None:
    """Copy assignments leaving a target's document here (a repeat copies nothing twice)."""
    await mongo.insert_missing(
        db[COLLECTION],
        [
            {
                "_id": f"{target_id}|{a.assignment_id}",
                "target_kind": kind,
                "target_id": target_id,
                "assignment": a.model_dump(mode="json"),
            }
            for a in leaving
        ],
    )


async def of_target(db: AsyncDatabase[Document], target_id: str) -> list[Assignment]:
    """Return a target's archived assignments."""
    cursor = db[COLLECTION].find({"target_id": target_id})
    return [Assignment.model_validate(doc["assignment"]) async for doc in cursor]


def needed(doc: Document | None, at: datetime) -> bool:
    """Tell whether answering for `at` needs this target's archive (a moment before its
    archived history ends)."""
    until = (doc or {}).get("archived_until")
    return until is not None and at < until


def merged(kept: list[Assignment], archived: list[Assignment]) -> list[Assignment]:
    """Return a target's whole history: what its document keeps and what was archived."""
    known = {a.assignment_id for a in kept}
    return kept + [a for a in archived if a.assignment_id not in known]
