"""Keeping the figures current from the hazards, and answering the command centre's queries."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_cases.hazards import repository as hazards
from services.hazard_cases.places import repository as places
from services.hazard_cases.stats import repository
from services.hazard_cases.stats.figures import (
    OPEN_RUNNING,
    Figures,
    add_up,
    fact_of,
    merge,
    summarise,
)
from shared.clock import utc_now
from shared.vocabulary import GridLevel

Document = dict[str, Any]
log = logging.getLogger(__name__)
CHINA = ZoneInfo("Asia/Shanghai")
# Figures are kept per school: the levels a hazard's figures roll up from.
UNIT_LEVELS = (GridLevel.SCHOOL.value, GridLevel.TOWNSHIP.value, GridLevel.BUREAU.value)


def month_of(at: datetime) -> str:
    """Return the reporting month (China time) of a moment, as YYYY-MM."""
    return at.astimezone(CHINA).strftime("%Y-%m")


def day_of(timestamp: float) -> str:
    """Return the reporting day (China time) of a POSIX timestamp, as YYYY-MM-DD."""
    return datetime.fromtimestamp(timestamp, CHINA).strftime("%Y-%m-%d")


def path_ids(path: str) -> list[str]:
    """Return the grid ids of a materialized path, root first."""
    return [part for part in path.split("/") if part]


_SCHOOLS: dict[str, tuple[str, str]] = {}  # grid path → its school; grids do not move schools


async def school_of(db: AsyncDatabase[Document], grid_path: str) -> tuple[str, str]:
    """Return the id and path of the school a grid belongs to (or the grid, above schools)."""
    known = _SCHOOLS.get(grid_path)
    if known is not None:
        return known
    ids = path_ids(grid_path)
    for doc in await places.grids_upward(db, grid_path):
        if doc.get("level") in UNIT_LEVELS:
            index = ids.index(doc["_id"])
            _SCHOOLS[grid_path] = (doc["_id"], "/" + "/".join(ids[: index + 1]) + "/")
            return _SCHOOLS[grid_path]
    return ids[-1], grid_path  # not remembered: the grids' copies may still be on their way


def prefix(ids: list[str], grid_id: str) -> str:
    """Return the path of `grid_id` among the ids of a path."""
    return "/" + "/".join(ids[: ids.index(grid_id) + 1]) + "/"


async def refresh(db: AsyncDatabase[Document], hazard_ids: Iterable[str]) -> int:
    """Bring some hazards' figures up to date (safe to repeat); return how many were found.

    Each hazard's fact is stored; then, once per school-month touched, the school's summary
    goes into its own cell and its township's; the township's, summed from its cell, into the
    county's; and so on to the root, each step only forward. The same is done for each day
    touched (a day's cells answer periods that do not cover whole months).
    """
    touched: dict[tuple[str, str], tuple[str, set[str]]] = {}
    batch: dict[tuple[str, str], dict[str, Document]] = defaultdict(dict)
    found_docs = await hazards.get_many(db, dict.fromkeys(hazard_ids))
    for hazard_id, doc in found_docs.items():
        school_id, school_path = await school_of(db, doc["grid_path"])
        month = month_of(doc["reported_at"])
        fact = fact_of(doc)
        batch[(school_id, month)][hazard_id] = fact
        _, days = touched.setdefault((school_id, month), (school_path, set()))
        days.add(day_of(fact["rep"]))
    for (school_id, month), facts in batch.items():
        await repository.put_facts(db, school_id, month, facts)
    for (school_id, month), (school_path, days) in touched.items():
        await roll_up(db, school_id, school_path, month, days)
    return len(found_docs)


async def roll_up(
    db: AsyncDatabase[Document],
    school_id: str,
    school_path: str,
    month: str,
    days: set[str],
    *,
    passed_since: float | None = None,
) -> None:
    """Carry a school-month's summary, and that of each day given, up through every grid
    above it; with `passed_since`, also the days of hazards whose deadline passed since then."""
    rev = await repository.next_revision(db, school_id, school_path, month)
    facts = await repository.month_facts(db, school_id, month)
    now = utc_now().timestamp()
    by_day: dict[str, list[Document]] = defaultdict(list)
    for fact in facts.values():  # one pass, whatever the number of days touched
        by_day[day_of(fact["rep"])].append(fact)
        if passed_since is not None and _passed(fact, passed_since, now):
            days.add(day_of(fact["rep"]))
    month_summary = summarise(facts.values(), now)
    await _carry(db, school_id, school_path, month, rev, month_summary)
    for day in sorted(days):
        await _carry(db, school_id, school_path, day, rev, summarise(by_day[day], now))
    await repository.put_due(db, school_id, school_path, month, rev, month_summary["next_due"])
    overdue = {hazard_id: fact for hazard_id, fact in facts.items() if _passed(fact, 0.0, now)}
    await repository.put_overdue(db, school_path, month, rev, overdue)


def _passed(fact: Document, since: float, now: float) -> bool:
    """Tell whether a hazard running to its deadline passed it between `since` and `now`."""
    return fact["s"] in OPEN_RUNNING and fact["due"] is not None and since <= fact["due"] <= now


async def _carry(
    db: AsyncDatabase[Document],
    school_id: str,
    school_path: str,
    period: str,
    rev: int,
    summary: Document,
) -> None:
    """Put a school's summary of a period in its cells and carry it up to the root."""
    entry = {"rev": rev, "path": school_path, "unit": True, **summary}
    ids = path_ids(school_path)
    # The county's list first: once a school shows a revision, its county lists that one or later.
    if len(ids) >= 3:
        await repository.put_school(db, ids[-3], period, school_id, entry)
    await repository.put_child(db, school_id, period, school_id, entry)
    child_id = school_id
    for grid_id in reversed(ids[:-1]):
        cell = await repository.put_child(db, grid_id, period, child_id, entry)
        if cell is None:
            return
        kids = cell.get("kids", {}).values()
        entry = {"rev": cell["rev"], "path": prefix(ids, grid_id), "unit": False, **merge(kids)}
        child_id = grid_id


# Hazards refreshed at once. A batch summarises each school-month touched once, so a steady
# trickle of changes (a hundred reports a second) is left to gather for `interval` between
# batches instead of summarising the same school's month twenty times a second.
REFRESH_BATCH = 500
# How often the school-months in which a deadline passed are summarised again: the overdue
# counts trail the clock by at most about this.
DUE_CHECK_SECONDS = 5.0


async def refresh_marked(db: AsyncDatabase[Document], batch: int = REFRESH_BATCH) -> int:
    """Refresh the hazards marked as changed, then unmark them; return how many."""
    marked = await repository.marked(db, batch)
    if not marked:
        return 0
    await refresh(db, [mark["_id"] for mark in marked])
    await repository.unmark(db, marked)
    return len(marked)


async def refresh_passed(db: AsyncDatabase[Document], batch: int = REFRESH_BATCH) -> int:
    """Summarise again the school-months in which a deadline passed; return how many."""
    due = await repository.due(db, utc_now().timestamp(), batch)
    for doc in due:
        school_id, month = doc["_id"].rsplit("|", 1)
        await roll_up(db, school_id, doc["path"], month, set(), passed_since=doc["at"])
    return len(due)


async def move_former_facts(db: AsyncDatabase[Document]) -> int:
    """Store the facts kept before in one document per school-month as facts of their own, and
    summarise those months again (safe to repeat, and to run on every replica at once)."""
    moved = 0
    while former := await repository.former_facts(db, 20):
        for doc in former:
            school_id, month = doc["_id"].rsplit("|", 1)
            facts = doc.get("h", {})
            await repository.put_facts(db, school_id, month, facts)
            # Its summaries carry the former document's revision: the next ones must be later.
            await repository.revision_at_least(db, school_id, month, int(doc.get("rev", 0)))
            days = {day_of(fact["rep"]) for fact in facts.values()}
            await roll_up(db, school_id, doc["path"], month, days)
            await repository.drop_former(db, doc["_id"])
            moved += 1
    return moved


async def keep_current(db: AsyncDatabase[Document], interval: float) -> None:
    """Refresh marked hazards for as long as the service runs (every replica may help): the
    figures trail the hazards by about `interval`, less when a burst fills whole batches, and
    the overdue counts trail the clock by about `DUE_CHECK_SECONDS`."""
    checked = 0.0
    while True:
        done = 0
        try:
            if checked == 0.0:
                await move_former_facts(db)
            done = await refresh_marked(db)
            if time.monotonic() - checked >= DUE_CHECK_SECONDS:
                await refresh_passed(db)
                checked = time.monotonic()
        except Exception:  # a database hiccup must not stop the figures for good
            log.exception("refreshing the figures failed; trying again")
        # A full batch means more are waiting: go on soon, leaving the consumers room.
        await asyncio.sleep(0.05 if done >= REFRESH_BATCH else interval)


@dataclass
class SubtreeFigures:
    """A grid's figures over some months, and those of each grid just below it."""

    total: Figures
    areas: dict[str, Figures]
    units: bool  # whether the grids below are schools (or the grid is one)


async def figures_for(
    db: AsyncDatabase[Document], grid_id: str, periods: list[str]
) -> SubtreeFigures:
    """Add up a grid's cells over some periods (months and days that do not overlap): one
    small document per period."""
    per_child: dict[str, list[Document]] = defaultdict(list)
    units = True
    for cell in await repository.cells(db, grid_id, periods):
        for child_id, entry in cell.get("kids", {}).items():
            per_child[child_id].append(entry)
            units = units and bool(entry.get("unit"))
    areas = {child: add_up(entries) for child, entries in per_child.items()}
    total = add_up(entry for entries in per_child.values() for entry in entries)
    return SubtreeFigures(total, areas, units)


async def schools_under(
    db: AsyncDatabase[Document], grid_id: str, periods: list[str]
) -> dict[str, Figures]:
    """Return the figures of every school under a grid, descending to the schools' level."""
    listed: dict[str, list[Document]] = defaultdict(list)
    for cell in await repository.school_lists(db, grid_id, periods):
        for school_id, entry in cell.get("schools", {}).items():
            listed[school_id].append(entry)
    if listed:  # a county's cells list its schools
        return {school: add_up(entries) for school, entries in listed.items()}
    found = await figures_for(db, grid_id, periods)
    if found.units:
        return found.areas
    below = await asyncio.gather(*(schools_under(db, child, periods) for child in found.areas))
    return {school: figures for level in below for school, figures in level.items()}
