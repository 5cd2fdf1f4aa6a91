"""The period a figures query asks about, as the cells that answer it (pure logic).

`from` and `to` are months (YYYY-MM) or days (YYYY-MM-DD), China time, both ends included, within
the dates shared.fields allows (2000-01-01 to 2100-12-31). A
month the period covers whole is read from its month cell; a month it covers in part, from the
cells of its days: at most two such months, so a query reads at most a few dozen documents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from shared.errors import ApiError, field_error
from shared.fields import MAX_DAY, MIN_DAY

MONTH = re.compile(r"^\d{4}-\d{2}$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_MONTHS = 60


@dataclass(frozen=True)
class Period:
    """A span of days and the cells that add up to it."""

    first_day: date
    last_day: date
    months: list[str]  # every month it touches, YYYY-MM
    cells: list[str]  # whole months as YYYY-MM, the days of the others as YYYY-MM-DD


def _bad(name: str) -> ApiError:
    return field_error(
        name,
        "bad_period",
        "应为月份 YYYY-MM 或日期 YYYY-MM-DD",
        "Give a month YYYY-MM or a day YYYY-MM-DD",
        location="query",
    )


def _out_of_range(name: str) -> ApiError:
    return field_error(
        name,
        "out_of_range",
        f"日期须在 {MIN_DAY} 至 {MAX_DAY} 之间",
        f"The date must be between {MIN_DAY} and {MAX_DAY}",
        location="query",
    )


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _end(name: str, value: str, *, first: bool) -> date:
    """Return the first (or last) day a `from` (or `to`) value stands for."""
    try:
        if DAY.match(value):
            day = date.fromisoformat(value)
        elif MONTH.match(value):
            day = date(int(value[:4]), int(value[5:]), 1)
            if not first and MIN_DAY <= day <= MAX_DAY:  # the month after 9999-12 is no date
                day = _next_month(day) - timedelta(days=1)
        else:
            raise _bad(name)
    except ValueError:
        raise _bad(name) from None
    if not MIN_DAY <= day <= MAX_DAY:
        raise _out_of_range(name)
    return day


def parse_period(first: str, last: str) -> Period:
    """Return the period from `first` to `last`, or answer 422 naming the field."""
    start, end = _end("from", first, first=True), _end("to", last, first=False)
    if end < start:
        raise field_error(
            "to", "before_from", "结束时间不能早于开始时间", "to is before from", location="query"
        )
    months: list[str] = []
    cells: list[str] = []
    month_start = start.replace(day=1)
    while month_start <= end:
        month_end = _next_month(month_start) - timedelta(days=1)
        months.append(month_start.strftime("%Y-%m"))
        low, high = max(start, month_start), min(end, month_end)
        if (low, high) == (month_start, month_end):
            cells.append(month_start.strftime("%Y-%m"))
        else:
            cells.extend(
                (low + timedelta(days=offset)).isoformat()
                for offset in range((high - low).days + 1)
            )
        month_start = _next_month(month_start)
    if len(months) > MAX_MONTHS:
        raise field_error(
            "from",
            "too_long",
            f"一次最多查询 {MAX_MONTHS} 个月",
            f"At most {MAX_MONTHS} months",
            location="query",
        )
    return Period(start, end, months, cells)
