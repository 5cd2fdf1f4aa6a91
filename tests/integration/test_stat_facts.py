"""The figures' documents on the real FerretDB: one fact per hazard, a school's month read as
one `_id` range, writers racing (two replicas refreshing) keeping each hazard's newest fact,
and a deadline passing counted as overdue without anything else happening."""

from __future__ import annotations

import asyncio
import time

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_cases.stats import repository, service

MONTH = "2026-12"
DAY = "2026-12-05"
REPORTED = 1_796_428_800.0  # 2026-12-05 08:00 China time


def fact(version: int) -> dict:
    return {"v": version, "c": "fire", "g": "red", "s": "rectifying", "m": True}


def running(version: int, due: float) -> dict:
    """The fact of a hazard being rectified against a deadline."""
    return {**fact(version), "rep": REPORTED, "rect": None, "due": due}


async def test_racing_writers_keep_every_hazards_newest_fact(db: AsyncDatabase[dict]) -> None:
    batches = [
        {f"h{n}": fact(version) for n in range(hazards)}
        for version, hazards in [(1, 50), (3, 20), (2, 40), (1, 60)]
    ]
    await asyncio.gather(
        *(repository.put_facts(db, "s1", MONTH, facts) for facts in batches),
        # Neighbours whose ids start alike must not be read as s1's month.
        repository.put_facts(db, "s10", MONTH, {"x": fact(1)}),
        repository.put_facts(db, "s1", "2026-11", {"y": fact(1)}),
    )
    stored = await repository.month_facts(db, "s1", MONTH)
    versions = {hazard_id: entry["v"] for hazard_id, entry in stored.items()}
    assert versions == {f"h{n}": 3 if n < 20 else 2 if n < 40 else 1 for n in range(60)}
    # An older batch delivered again changes nothing.
    await repository.put_facts(db, "s1", MONTH, batches[0])
    assert await repository.month_facts(db, "s1", MONTH) == stored


async def test_a_deadline_passing_is_counted_up_to_the_county_without_any_change(
    db: AsyncDatabase[dict],
) -> None:
    soon, later = time.time() + 1.5, time.time() + 3600
    await repository.put_facts(db, "s1", MONTH, {"h1": running(2, soon), "h2": running(2, later)})
    await service.roll_up(db, "s1", "/c/t/s1/", MONTH, {DAY})
    assert (await service.figures_for(db, "c", [MONTH])).total.overdue == 0
    assert await service.refresh_passed(db) == 0  # nothing has passed yet

    await asyncio.sleep(2)
    assert await service.refresh_passed(db) == 1

    for grid_id in ("s1", "t", "c"):
        for period in (MONTH, DAY):
            figures = await service.figures_for(db, grid_id, [period])
            assert (grid_id, period, figures.total.overdue) == (grid_id, period, 1)
    # The next deadline to watch is the other hazard's; the school's list in its county agrees.
    due = await db[repository.DUE].find_one({"_id": repository.cell_id("s1", MONTH)})
    assert due is not None
    assert due["at"] == later
    assert (await service.schools_under(db, "c", [MONTH]))["s1"].overdue == 1
    # The overdue list of any subtree holding the school has it; a neighbour's has not.
    this_month = {"$gte": REPORTED - 86400, "$lt": REPORTED + 86400}
    for path in ("/c/", "/c/t/", "/c/t/s1/"):
        assert await repository.overdue_under(db, path, this_month, 10) == [("h1", soon)]
    assert await repository.overdue_under(db, "/c/t/s10/", this_month, 10) == []

    # Rectified: it leaves the count and the list at its next summary.
    await repository.put_facts(db, "s1", MONTH, {"h1": {**running(3, soon), "s": "rectified"}})
    await service.roll_up(db, "s1", "/c/t/s1/", MONTH, {DAY})
    assert (await service.figures_for(db, "c", [DAY])).total.overdue == 0
    assert await repository.overdue_under(db, "/c/", this_month, 10) == []


async def test_facts_kept_the_former_way_move_to_their_own_documents(
    db: AsyncDatabase[dict],
) -> None:
    passed = time.time() - 60
    former = {"h1": running(4, passed), "h2": {**running(4, passed), "s": "closed"}}
    await db[repository.FORMER_FACTS].insert_one(
        {"_id": repository.cell_id("s1", MONTH), "path": "/c/t/s1/", "month": MONTH}
        | {"rev": 7, "h": former}
    )
    # The county's cell as the former summaries left it: revision 7, deadlines listed.
    old_entry = {"rev": 7, "path": "/c/t/s1/", "unit": True, "by": {"closed|fire|red": 1}}
    old_entry |= {"rectified": 0, "on_time": 0, "ttr_sum": 0.0, "major": 1, "open": {}}
    await db[repository.CELLS].insert_one(
        {"_id": repository.cell_id("t", MONTH), "kids": {"s1": old_entry}, "rev": 7}
    )

    assert await service.move_former_facts(db) == 1

    assert set(await repository.month_facts(db, "s1", MONTH)) == {"h1", "h2"}
    assert await db[repository.FORMER_FACTS].count_documents({}) == 0
    figures = (await service.figures_for(db, "t", [MONTH])).total
    assert (figures.total, figures.overdue) == (2, 1)
    assert (await service.figures_for(db, "c", [DAY])).total.total == 2
    assert await service.move_former_facts(db) == 0
