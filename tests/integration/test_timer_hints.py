"""The escalation timers' hints on the real FerretDB: each a copy of its hazard's timer that
only moves to a newer version, and a hazard whose hint was lost gets it back from the backstop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_cases.hazards import repository, timer_hints, timers

NOW = datetime(2026, 12, 5, 8, tzinfo=UTC)


async def test_a_hint_moves_only_to_a_newer_version_and_leaves_with_the_timer(
    db: AsyncDatabase[dict],
) -> None:
    soon, later = NOW + timedelta(minutes=1), NOW + timedelta(hours=1)
    await timer_hints.note(db, [("h1", 2, soon), ("h2", 2, later)])
    await timer_hints.note(db, [("h1", 1, later)])  # an older write, noted late: ignored
    assert [hint["_id"] for hint in await timer_hints.due(db, NOW + timedelta(minutes=2), 10)] == [
        "h1"
    ]

    await timer_hints.note(db, [("h1", 3, later), ("h2", 3, None)])  # acted on; h2 rectified
    assert await timer_hints.due(db, NOW + timedelta(minutes=2), 10) == []
    assert await timer_hints.versions(db) == {"h1": 3}
    await timer_hints.note(db, [("h2", 2, soon)])  # its older timer, noted late: a spare hint
    await timer_hints.forget(db, [{"_id": "h2", "v": 2}])
    assert await timer_hints.versions(db) == {"h1": 3}


async def test_the_backstop_gives_back_the_hints_a_crash_lost(db: AsyncDatabase[dict]) -> None:
    hazards = [
        {"_id": "timed", "version": 4, "next_check_at": NOW},
        {"_id": "behind", "version": 5, "next_check_at": NOW + timedelta(hours=2)},
        {"_id": "done", "version": 9, "next_check_at": None},
    ]
    await db[repository.COLLECTION].insert_many(hazards)
    await timer_hints.note(db, [("behind", 4, NOW)])

    assert await timers.copy_missing_hints(db) == 2
    assert await timer_hints.versions(db) == {"timed": 4, "behind": 5}
    assert await timers.copy_missing_hints(db) == 0
