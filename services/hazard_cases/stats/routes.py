"""The command centre's queries: a subtree's figures for a period (whole months or any days),
each school's assessment figures (考核), and the overdue hazards sorted by how late."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from services.hazard_cases.access import admit
from services.hazard_cases.hazards import repository as hazards
from services.hazard_cases.hazards.lifecycle import DEADLINE_RUNS
from services.hazard_cases.places import repository as places
from services.hazard_cases.places.scope import managed_subtree
from services.hazard_cases.stats import repository, service
from services.hazard_cases.stats.figures import Figures
from services.hazard_cases.stats.periods import parse_period
from shared.auth import CurrentUser
from shared.clock import utc_now
from shared.dependencies import Db
from shared.fields import Id

router = APIRouter(prefix="/v1/stats", tags=["stats"])

GridQuery = Annotated[Id | None, Query(description="Default: your own grid")]
FromPeriod = Annotated[
    str,
    Query(
        alias="from",
        max_length=10,
        description="First month YYYY-MM or day YYYY-MM-DD (China time)",
        examples=["2026-11", "2026-11-16"],
    ),
]
ToPeriod = Annotated[
    str,
    Query(
        alias="to",
        max_length=10,
        description="Last month YYYY-MM or day YYYY-MM-DD (inclusive)",
        examples=["2026-11", "2026-11-22"],
    ),
]


class Rates(BaseModel):
    """Counts and rates of a set of hazards."""

    total: int
    by_status: dict[str, int]
    by_category: dict[str, int]
    by_grade: dict[str, int]
    major: int = Field(description="Major hazards (重大隐患)")
    rectified: int
    rectification_rate: float | None = Field(description="整改率: rectified / counted")
    on_time_rate: float | None = Field(description="按期整改率: by the deadline / rectified")
    mean_hours_to_rectify: float | None
    overdue_now: int = Field(
        description="Running to a deadline and past it (counted within seconds of it passing)"
    )


class AreaFigures(Rates):
    """The figures of one grid just below the one asked about (or of one school)."""

    grid_id: str
    name: str


class Summary(Rates):
    """A subtree's figures over a period, and by area."""

    grid_id: str
    name: str
    first_day: date
    last_day: date
    months: list[str] = Field(description="The months the period touches")
    areas: list[AreaFigures]


class SchoolList(BaseModel):
    """Each school's assessment figures (考核), lowest rectification rate first."""

    grid_id: str
    first_day: date
    last_day: date
    months: list[str] = Field(description="The months the period touches")
    schools: list[AreaFigures]


class OverdueItem(BaseModel):
    """An overdue hazard and how late it is."""

    hazard_id: str
    hours_late: float
    description: str
    school_name: str | None
    assignee: str | None
    escalation_level: int


def _rates(figures: Figures) -> dict[str, object]:
    return {
        "total": figures.total,
        "by_status": dict(figures.by_status),
        "by_category": dict(figures.by_category),
        "by_grade": dict(figures.by_grade),
        "major": figures.major,
        "rectified": figures.rectified,
        "rectification_rate": figures.rectification_rate(),
        "on_time_rate": figures.on_time_rate(),
        "mean_hours_to_rectify": figures.mean_hours_to_rectify(),
        "overdue_now": figures.overdue,
    }


async def _names(db: Db, grid_ids: list[str]) -> dict[str, str]:
    names = {}
    for grid_id in grid_ids:
        doc = await places.get(db, places.GRIDS, grid_id)
        names[grid_id] = str(doc.get("name", "")) if doc else ""
    return names


@router.get(
    "/summary",
    dependencies=[admit("figures", "read")],
    response_model=Summary,
    summary="A subtree's figures over a period",
)
async def summary(
    principal: CurrentUser, db: Db, first: FromPeriod, last: ToPeriod, grid_id: GridQuery = None
) -> Summary:
    """Counts by status, category, grade and area; rectification and on-time rates; mean time
    to rectify; how many are overdue now. Hazards count on the day they were reported."""
    path, name = await service_path(db, principal, grid_id)
    period = parse_period(first, last)
    node = service.path_ids(path)[-1]
    found = await service.figures_for(db, node, period.cells)
    names = await _names(db, list(found.areas))
    areas = [
        AreaFigures(grid_id=area, name=names[area], **_rates(figures))
        for area, figures in sorted(found.areas.items(), key=lambda item: -item[1].total)
    ]
    return Summary(
        grid_id=node,
        name=name,
        first_day=period.first_day,
        last_day=period.last_day,
        months=period.months,
        areas=areas,
        **_rates(found.total),
    )


@router.get(
    "/schools",
    dependencies=[admit("figures", "read")],
    response_model=SchoolList,
    summary="Each school's assessment figures",
)
async def schools(
    principal: CurrentUser, db: Db, first: FromPeriod, last: ToPeriod, grid_id: GridQuery = None
) -> SchoolList:
    """Every school under the grid with its figures, the lowest rectification rate first."""
    path, _ = await service_path(db, principal, grid_id)
    period = parse_period(first, last)
    node = service.path_ids(path)[-1]
    found = await service.schools_under(db, node, period.cells)
    names = await _names(db, list(found))
    rows = [
        AreaFigures(grid_id=school, name=names[school], **_rates(figures))
        for school, figures in found.items()
    ]
    rows.sort(key=lambda row: (row.rectification_rate is None, row.rectification_rate or 0))
    return SchoolList(
        grid_id=node,
        first_day=period.first_day,
        last_day=period.last_day,
        months=period.months,
        schools=rows,
    )


@router.get(
    "/overdue",
    dependencies=[admit("figures", "read")],
    response_model=list[OverdueItem],
    summary="Overdue now, the latest first",
)
async def overdue(
    principal: CurrentUser,
    db: Db,
    first: FromPeriod,
    last: ToPeriod,
    grid_id: GridQuery = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[OverdueItem]:
    """Hazards reported in the period given that are past their deadline and not rectified."""
    path, _ = await service_path(db, principal, grid_id)
    period = parse_period(first, last)
    reported = {
        "$gte": china_midnight(period.first_day).timestamp(),
        "$lt": china_midnight(period.last_day + timedelta(days=1)).timestamp(),
    }
    late = await repository.overdue_under(db, path, reported, limit)
    docs = await hazards.get_many(db, [hazard_id for hazard_id, _ in late])
    now = utc_now()
    items = []
    for hazard_id, _ in late:
        doc = docs.get(hazard_id)
        # The entries trail the hazards by a moment: one rectified meanwhile is left out.
        if doc is None or doc["status"] not in DEADLINE_RUNS or doc.get("rectify_by") is None:
            continue
        items.append(
            OverdueItem(
                hazard_id=hazard_id,
                hours_late=round((now - doc["rectify_by"]).total_seconds() / 3600, 1),
                description=doc["description"],
                school_name=doc.get("school_name"),
                assignee=(doc.get("assignee") or {}).get("name"),
                escalation_level=int(doc.get("escalation_level", 0)),
            )
        )
    return items


def china_midnight(day: date) -> datetime:
    """Return the start of a day in China time."""
    return datetime.combine(day, time(), service.CHINA)


async def service_path(db: Db, principal: CurrentUser, grid_id: str | None) -> tuple[str, str]:
    """Return the path and name of the grid asked about, checked against the caller's scope."""
    return await managed_subtree(db, principal, grid_id)
