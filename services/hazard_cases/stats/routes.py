"""The command centre's queries: a subtree's figures for a period of months, each school's
assessment figures (考核), and the overdue hazards sorted by how late."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from services.hazard_cases.hazards import repository as hazards
from services.hazard_cases.lists.service import subtree
from services.hazard_cases.places import repository as places
from services.hazard_cases.stats import service
from services.hazard_cases.stats.figures import Figures
from shared.auth import CurrentUser
from shared.clock import utc_now
from shared.dependencies import Db
from shared.errors import field_error

router = APIRouter(prefix="/v1/stats", tags=["stats"])

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
MAX_MONTHS = 60
GridQuery = Annotated[str | None, Query(max_length=64, description="Default: your own grid")]
FromMonth = Annotated[str, Query(alias="from", description="First month, YYYY-MM (China time)")]
ToMonth = Annotated[str, Query(alias="to", description="Last month, YYYY-MM (inclusive)")]


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
    overdue_now: int = Field(description="Open and past their deadline now")


class AreaFigures(Rates):
    """The figures of one grid just below the one asked about (or of one school)."""

    grid_id: str
    name: str


class Summary(Rates):
    """A subtree's figures over a period, and by area."""

    grid_id: str
    name: str
    months: list[str]
    areas: list[AreaFigures]


class SchoolList(BaseModel):
    """Each school's assessment figures (考核), lowest rectification rate first."""

    grid_id: str
    months: list[str]
    schools: list[AreaFigures]


class OverdueItem(BaseModel):
    """An overdue hazard and how late it is."""

    hazard_id: str
    hours_late: float
    description: str
    school_name: str | None
    assignee: str | None
    escalation_level: int


def _months(first: str, last: str) -> list[str]:
    for name, value in (("from", first), ("to", last)):
        if not MONTH.match(value):
            raise field_error(name, "bad_month", "月份格式应为 YYYY-MM", "Months are YYYY-MM")
    start = date(int(first[:4]), int(first[5:]), 1)
    end = date(int(last[:4]), int(last[5:]), 1)
    if end < start:
        raise field_error("to", "before_from", "结束月份不能早于开始月份", "to is before from")
    months = []
    current = start
    while current <= end:
        months.append(current.strftime("%Y-%m"))
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    if len(months) > MAX_MONTHS:
        raise field_error(
            "from", "too_long", f"一次最多查询 {MAX_MONTHS} 个月", f"At most {MAX_MONTHS} months"
        )
    return months


def _rates(figures: Figures) -> dict[str, object]:
    now = utc_now()
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
        "overdue_now": len(figures.overdue(now)),
    }


async def _names(db: Db, grid_ids: list[str]) -> dict[str, str]:
    names = {}
    for grid_id in grid_ids:
        doc = await places.get(db, places.GRIDS, grid_id)
        names[grid_id] = str(doc.get("name", "")) if doc else ""
    return names


@router.get("/summary", response_model=Summary, summary="A subtree's figures over months")
async def summary(
    principal: CurrentUser, db: Db, first: FromMonth, last: ToMonth, grid_id: GridQuery = None
) -> Summary:
    """Counts by status, category, grade and area; rectification and on-time rates; mean time
    to rectify; how many are overdue now. Hazards count in the month they were reported."""
    path, name = await service_path(db, principal, grid_id)
    months = _months(first, last)
    node = service.path_ids(path)[-1]
    found = await service.figures_for(db, node, months)
    names = await _names(db, list(found.areas))
    areas = [
        AreaFigures(grid_id=area, name=names[area], **_rates(figures))
        for area, figures in sorted(found.areas.items(), key=lambda item: -item[1].total)
    ]
    return Summary(grid_id=node, name=name, months=months, areas=areas, **_rates(found.total))


@router.get("/schools", response_model=SchoolList, summary="Each school's assessment figures")
async def schools(
    principal: CurrentUser, db: Db, first: FromMonth, last: ToMonth, grid_id: GridQuery = None
) -> SchoolList:
    """Every school under the grid with its figures, the lowest rectification rate first."""
    path, _ = await service_path(db, principal, grid_id)
    months = _months(first, last)
    node = service.path_ids(path)[-1]
    found = await service.schools_under(db, node, months)
    names = await _names(db, list(found))
    rows = [
        AreaFigures(grid_id=school, name=names[school], **_rates(figures))
        for school, figures in found.items()
    ]
    rows.sort(key=lambda row: (row.rectification_rate is None, row.rectification_rate or 0))
    return SchoolList(grid_id=node, months=months, schools=rows)


@router.get("/overdue", response_model=list[OverdueItem], summary="Overdue now, the latest first")
async def overdue(
    principal: CurrentUser,
    db: Db,
    first: FromMonth,
    last: ToMonth,
    grid_id: GridQuery = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[OverdueItem]:
    """Hazards reported in the months given that are past their deadline and not rectified."""
    path, _ = await service_path(db, principal, grid_id)
    node = service.path_ids(path)[-1]
    found = await service.figures_for(db, node, _months(first, last))
    now = utc_now()
    items = []
    for hazard_id, due in found.total.overdue(now)[:limit]:
        doc = await hazards.get(db, hazard_id)
        if doc is None:
            continue
        items.append(
            OverdueItem(
                hazard_id=hazard_id,
                hours_late=round((now.timestamp() - due) / 3600, 1),
                description=doc["description"],
                school_name=doc.get("school_name"),
                assignee=(doc.get("assignee") or {}).get("name"),
                escalation_level=int(doc.get("escalation_level", 0)),
            )
        )
    return items


async def service_path(db: Db, principal: CurrentUser, grid_id: str | None) -> tuple[str, str]:
    """Return the path and name of the grid asked about, checked against the caller's scope."""
    return await subtree(db, principal, grid_id)
