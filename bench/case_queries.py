"""The command centre's queries on a synthetic 1,000,000-hazard history, next to a bare count of
the same hazards collection in the same run.

    make bench   (or: python -m bench.case_queries with the test servers' environment)

The history (a city of 10 counties × 10 townships × 13 schools, three years) is generated once
into its own database and kept for later runs: the hazards themselves (for the bare count) and
the per-hazard facts, the overdue entries and the monthly and daily summaries the queries
read, built with the same functions the live service uses.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pymongo import AsyncMongoClient

import tests.conftest  # noqa: F401  (reads the servers' environment file)
from services.hazard_cases.stats import repository
from services.hazard_cases.stats.figures import OPEN_RUNNING, fact_of, merge, summarise
from services.hazard_cases.stats.periods import parse_period
from services.hazard_cases.stats.service import day_of, figures_for, month_of, schools_under
from tests.support.servers import InfraEnv

DB = "xiaoan_bench_case_queries"
CHINA = ZoneInfo("Asia/Shanghai")
FORMAT = 6  # of the stored cells: a new format makes the history again
HAZARDS = 1_000_000
COUNTIES, TOWNSHIPS, SCHOOLS = 10, 10, 13
START = datetime(2023, 12, 1, tzinfo=UTC)
DAYS = 3 * 365
LIMIT_MS = 300.0
RUNS = 7
BATCH = 5_000
CATEGORIES = ["facilities", "buildings", "fire", "traffic", "food_hygiene", "campus_security",
              "dormitories", "drowning", "bullying", "other"]  # fmt: skip
GRADES = [("red", 24), ("orange", 72), ("yellow", 168), ("blue", 360)]


def schools() -> list[str]:
    """Return the school paths of the synthetic city."""
    return [
        f"/city/county{c}/town{c}-{t}/school{c}-{t}-{s}/"
        for c in range(COUNTIES)
        for t in range(TOWNSHIPS)
        for s in range(SCHOOLS)
    ]


def synthetic_hazard(number: int, paths: list[str], rng: random.Random) -> dict[str, Any]:
    """Return one hazard of the history, mostly closed, some late, some still open."""
    path = paths[rng.randrange(len(paths))]
    reported = START + timedelta(seconds=rng.randrange(DAYS * 86400))
    grade, hours = GRADES[rng.choices(range(4), weights=(1, 3, 10, 6))[0]]
    rectify_by = reported + timedelta(hours=hours)
    roll = rng.random()
    age = datetime.now(UTC) - reported
    if age < timedelta(days=20) and roll < 0.5:
        status, rectified = rng.choice(["assigned", "rectifying"]), None
    elif roll < 0.03:
        status, rectified = "rejected", None
    else:
        status = "closed" if age > timedelta(days=3) else "rectified"
        rectified = reported + timedelta(hours=hours * rng.uniform(0.1, 1.6))
    return {
        "_id": f"h{number:07d}",
        "grid_path": path + "zone/",
        "category": rng.choice(CATEGORIES),
        "risk_grade": grade,
        "major": grade == "red",
        "status": status,
        "reported_at": reported,
        "rectified_at": rectified,
        "rectify_by": rectify_by,
        "version": 4,
    }


async def ensure_history(db: Any) -> None:
    """Generate the history unless it is there already."""
    meta = await db["bench_meta"].find_one({"_id": "history"})
    if meta is not None and meta.get("format") == FORMAT:
        return
    for name in (
        "hazards",
        repository.FORMER_FACTS,
        repository.FACTS,
        repository.OVERDUE,
        repository.CELLS,
        repository.SCHOOL_LISTS,
        "bench_meta",
    ):
        await db.drop_collection(name)
    rng = random.Random(7)
    paths = schools()
    facts: dict[tuple[str, str], dict[str, Any]] = defaultdict(dict)
    started = time.perf_counter()
    batch: list[dict[str, Any]] = []
    for number in range(HAZARDS):
        hazard = synthetic_hazard(number, paths, rng)
        school_path = hazard["grid_path"].removesuffix("zone/")
        facts[(school_path, month_of(hazard["reported_at"]))][hazard["_id"]] = fact_of(hazard)
        batch.append(hazard)
        if len(batch) == BATCH:
            await db["hazards"].insert_many(batch, ordered=False)
            batch = []
            if (number + 1) % 100_000 == 0:
                print(f"  {number + 1:,} hazards ({time.perf_counter() - started:.0f} s)")
    # Cells bottom-up, as the live service keeps them: each grid's cell holds the summaries
    # of the grids just below it (a school's, its own).
    cells: dict[str, dict[str, Any]] = defaultdict(dict)
    schools_of: dict[str, dict[str, Any]] = defaultdict(dict)
    fact_docs, overdue_docs = [], []
    now = time.time()
    for (school_path, month), hazard_facts in facts.items():
        school_id = school_path.strip("/").split("/")[-1]
        by_day: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for hazard_id, fact in hazard_facts.items():
            fact_docs.append({"_id": repository.fact_id(school_id, month, hazard_id), **fact})
            by_day[day_of(fact["rep"])].append(fact)
            if fact["s"] in OPEN_RUNNING and fact["due"] <= now:
                entry = {"due": fact["due"], "rep": fact["rep"], "rev": 1}
                overdue_docs.append({"_id": f"{school_path}{month}|{hazard_id}", **entry})
        township = school_path.strip("/").split("/")[-2]
        county = school_path.strip("/").split("/")[-3]
        for period, period_facts in [(month, list(hazard_facts.values())), *by_day.items()]:
            summary = summarise(period_facts, now)
            entry = {"rev": 1, "path": school_path, "unit": True, **summary}
            cells[repository.cell_id(school_id, period)][school_id] = entry
            cells[repository.cell_id(township, period)][school_id] = entry
            schools_of[repository.cell_id(county, period)][school_id] = entry
    for level in ("town", "county"):
        for cell, kids in list(cells.items()):
            grid_id, month = cell.split("|")
            if not grid_id.startswith(level):
                continue
            parent = (
                "city"
                if level == "county"
                else "county" + grid_id.removeprefix("town").split("-")[0]
            )
            path = "/city/" if level == "county" else f"/city/{parent}/"
            cells[repository.cell_id(parent, month)][grid_id] = {
                "rev": 1,
                "path": path + grid_id + "/",
                "unit": False,
                **merge(kids.values()),
            }
    for start in range(0, len(fact_docs), 5_000):
        await db[repository.FACTS].insert_many(fact_docs[start : start + 5_000], ordered=False)
    for start in range(0, len(overdue_docs), 500):
        await db[repository.OVERDUE].insert_many(overdue_docs[start : start + 500], ordered=False)
    cell_docs = [{"_id": cell, "kids": kids} for cell, kids in cells.items()]
    list_docs = [{"_id": cell, "schools": schools} for cell, schools in schools_of.items()]
    for start in range(0, len(list_docs), 50):
        await db[repository.SCHOOL_LISTS].insert_many(list_docs[start : start + 50], ordered=False)
    for start in range(0, len(cell_docs), 50):
        await db[repository.CELLS].insert_many(cell_docs[start : start + 50], ordered=False)
    await db["bench_meta"].insert_one({"_id": "history", "format": FORMAT})
    print(f"  history ready in {time.perf_counter() - started:.0f} s")


async def timed(call: Callable[[], Awaitable[object]], runs: int = RUNS) -> float:
    """Return the median milliseconds of a few runs (after one warm-up, if more than one)."""
    if runs > 1:
        await call()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def last_months(count: int) -> list[str]:
    now = datetime.now(UTC)
    months = []
    year, month = now.year, now.month
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


async def run() -> list[tuple[str, float, str]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        InfraEnv.from_environment().mongo_url, tz_aware=True
    )
    db = client[DB]
    try:
        await ensure_history(db)
        year = last_months(12)
        now = datetime.now(UTC)

        async def bare_count() -> int:
            return await db["hazards"].count_documents({})

        async def city_year() -> object:
            return (await figures_for(db, "city", year)).total.rectification_rate()

        async def county_year() -> object:
            return (await figures_for(db, "county3", year)).areas

        async def county_schools() -> object:
            found = await schools_under(db, "county3", year)
            return sorted(found.items(), key=lambda kv: kv[1].rectification_rate() or 0)

        async def county_overdue() -> object:
            # What GET /v1/stats/overdue reads: the entries, then those hazards.
            span = {"$gte": (now - timedelta(days=DAYS)).timestamp(), "$lt": now.timestamp()}
            late = await repository.overdue_under(db, "/city/county3/", span, 100)
            found = await db["hazards"].find({"_id": {"$in": [h for h, _ in late]}}).to_list()
            return len(found)

        async def city_three_years() -> object:
            return (await figures_for(db, "city", last_months(36))).total.by_category

        today = datetime.now(CHINA).date()
        last_week = parse_period((today - timedelta(days=6)).isoformat(), today.isoformat())
        last_30_days = parse_period((today - timedelta(days=29)).isoformat(), today.isoformat())

        async def city_week() -> object:
            return (await figures_for(db, "city", last_week.cells)).total.rectification_rate()

        async def county_month_of_days() -> object:
            found = await schools_under(db, "county3", last_30_days.cells)
            return sorted(found.items(), key=lambda kv: kv[1].rectification_rate() or 0)

        figures = [
            ("bare count_documents on 1,000,000 hazards", await timed(bare_count), "reference")
        ]
        for name, call in (
            ("city, 12 months: counts, rates, mean time", city_year),
            ("city, 36 months: counts by category", city_three_years),
            ("county, 12 months: by area (townships)", county_year),
            ("county, 12 months: per-school assessment (考核)", county_schools),
            ("county, 36 months: overdue list by lateness", county_overdue),
            ("city, last 7 days: counts, rates", city_week),
            ("county, last 30 days: per-school assessment", county_month_of_days),
        ):
            figures.append((name, await timed(call), f"< {LIMIT_MS:.0f} ms"))
        return figures
    finally:
        await client.close()


def table(figures: list[tuple[str, float, str]]) -> str:
    lines = [f"{'case queries (1,000,000 hazards)':<52} {'median ms':>10}  limit"]
    for name, ms, limit in figures:
        verdict = "" if limit == "reference" else ("  ok" if ms < LIMIT_MS else "  OVER")
        lines.append(f"{name:<52} {ms:>10.1f}  {limit}{verdict}")
    return "\n".join(lines)


def main() -> None:
    print(table(asyncio.run(run())))


if __name__ == "__main__":
    main()
