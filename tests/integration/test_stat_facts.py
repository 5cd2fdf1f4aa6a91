"""A school-month's facts on the real FerretDB: a burst is written in one compare-and-set, and
writers racing on the same document (two replicas refreshing) keep each hazard's newest fact."""

from __future__ import annotations

import asyncio

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_cases.stats import repository


def fact(version: int) -> dict:
    return {"v": version, "rep": "2026-12-05T08:00:00+08:00"}


async def test_racing_writers_keep_every_hazards_newest_fact(db: AsyncDatabase[dict]) -> None:
    batches = [
        {f"h{n}": fact(version) for n in range(hazards)}
        for version, hazards in [(1, 50), (3, 20), (2, 40), (1, 60)]
    ]
    await asyncio.gather(
        *(repository.put_facts(db, "s1", "/c/t/s1/", "2026-12", facts) for facts in batches)
    )
    stored = await db[repository.FACTS].find_one({"_id": repository.cell_id("s1", "2026-12")})
    assert stored is not None
    versions = {hazard_id: entry["v"] for hazard_id, entry in stored["h"].items()}
    expected = {f"h{n}": 3 if n < 20 else 2 if n < 40 else 1 for n in range(60)}
    assert versions == expected
    # An older batch delivered again changes nothing, not even the revision.
    rev = stored["rev"]
    await repository.put_facts(db, "s1", "/c/t/s1/", "2026-12", batches[0])
    again = await db[repository.FACTS].find_one({"_id": repository.cell_id("s1", "2026-12")})
    assert again is not None
    assert again["rev"] == rev
