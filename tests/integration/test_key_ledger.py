"""Intake's key ledger on the real database: keys written in groups, first bodies kept."""

from __future__ import annotations

import asyncio

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_intake.reports.ledger import KeyLedger
from services.hazard_intake.reports.repository import COLLECTION
from shared.clock import utc_now

LONG_LINGER = 30.0  # seconds: a test that waited this long would have failed on its timeout


async def test_a_full_group_is_written_at_once_without_waiting_out_the_linger(
    db: AsyncDatabase[dict],
) -> None:
    ledger = KeyLedger(db, linger=LONG_LINGER, group_size=10)
    now = utc_now()
    firsts = await asyncio.wait_for(
        asyncio.gather(*(ledger.remember(f"r{i}", f"f{i}", now) for i in range(10))), 10
    )
    assert firsts == [f"f{i}" for i in range(10)]
    assert await db[COLLECTION].count_documents({}) == 10


async def test_a_lone_key_is_written_once_its_linger_is_over(db: AsyncDatabase[dict]) -> None:
    ledger = KeyLedger(db, linger=0.05, group_size=100)
    assert await asyncio.wait_for(ledger.remember("lone", "fp", utc_now()), 10) == "fp"
    assert await db[COLLECTION].find_one({"_id": "lone"}) is not None


async def test_a_key_keeps_the_body_it_was_first_used_with(db: AsyncDatabase[dict]) -> None:
    ledger = KeyLedger(db, linger=0.05, group_size=4)
    now = utc_now()
    # Two bodies under one key in one group, then the key again in a later group.
    same_group = await asyncio.gather(
        ledger.remember("k", "first", now), ledger.remember("k", "second", now)
    )
    assert same_group == ["first", "first"]
    assert await ledger.remember("k", "third", now) == "first"
    assert await db[COLLECTION].count_documents({"_id": "k"}) == 1
