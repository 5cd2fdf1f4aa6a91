"""Keeping the figures current from the hazards, and answering the command centre's queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_cases.hazards import repository as hazards
from services.hazard_cases.places import repository as places
from services.hazard_cases.stats import repository
from services.hazard_cases.stats.figures import Figures, add_up, fact_of, summarise
from shared.vocabulary import GridLevel

Document = dict[str, Any]
CHINA = ZoneInfo("Asia/Shanghai")
# Figures are kept per school: the levels a hazard's figures roll up from.
UNIT_LEVELS = (GridLevel.SCHOOL.value, GridLevel.TOWNSHIP.value, GridLevel.BUREAU.value)


def month_of(at: datetime) -> str:
    """Return the reporting month (China time) of a moment, as YYYY-MM."""
    return at.astimezone(CHINA).strftime("%Y-%m")


def path_ids(path: str) -> list[str]:
    """Return the grid ids of a materialized path, root first."""
    return [part for part in path.split("/") if part]


async def school_of(db: AsyncDatabase[Document], grid_path: str) -> tuple[str, str]:
    """Return the id and path of the school a grid belongs to (or the grid, above schools)."""
    ids = path_ids(grid_path)
    for doc in await places.grids_upward(db, grid_path):
        if doc.get("level") in UNIT_LEVELS:
            index = ids.index(doc["_id"])
            return doc["_id"], "/" + "/".join(ids[: index + 1]) + "/"
    return ids[-1], grid_path


async def refresh(db: AsyncDatabase[Document], hazard_id: str) -> bool:
    """Bring a hazard's figures up to date (safe to repeat); False if there is no hazard."""
    doc = await hazards.get(db, hazard_id)
    if doc is None:
        return False
    school_id, school_path = await school_of(db, doc["grid_path"])
    month = month_of(doc["reported_at"])
    stored = await repository.put_fact(db, school_id, school_path, month, hazard_id, fact_of(doc))
    if stored is None:
        return False
    entry = {"rev": stored["rev"], "path": school_path, **summarise(stored["h"])}
    for grid_id in path_ids(school_path):
        await repository.put_summary(db, grid_id, month, school_id, entry)
    return True


@dataclass
class SubtreeFigures:
    """A subtree's figures, and each school's and each area's (the grids just below)."""

    total: Figures
    schools: dict[str, Figures]
    areas: dict[str, Figures]


async def figures_for(
    db: AsyncDatabase[Document], grid_id: str, grid_path: str, months: list[str]
) -> SubtreeFigures:
    """Add up the summaries of every school under a grid over some months."""
    per_school: dict[str, list[Document]] = defaultdict(list)
    paths: dict[str, str] = {}
    for cell in await repository.cells(db, grid_id, months):
        for school_id, entry in cell.get("kids", {}).items():
            per_school[school_id].append(entry)
            paths[school_id] = entry["path"]
    schools = {school_id: add_up(entries) for school_id, entries in per_school.items()}
    depth = len(path_ids(grid_path))
    per_area: dict[str, list[Document]] = defaultdict(list)
    for school_id, entries in per_school.items():
        below = path_ids(paths[school_id])
        area = below[depth] if len(below) > depth else school_id
        per_area[area].extend(entries)
    areas = {area: add_up(entries) for area, entries in per_area.items()}
    total = add_up(entry for entries in per_school.values() for entry in entries)
    return SubtreeFigures(total, schools, areas)
