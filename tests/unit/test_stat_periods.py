"""Which cells answer a figures query's period."""

from __future__ import annotations

from datetime import date

import pytest

from services.hazard_cases.stats.periods import parse_period
from shared.errors import ApiError


def test_whole_months_are_read_from_month_cells() -> None:
    period = parse_period("2026-01", "2026-03")
    assert period.cells == ["2026-01", "2026-02", "2026-03"]
    assert (period.first_day, period.last_day) == (date(2026, 1, 1), date(2026, 3, 31))


def test_a_week_across_two_months_is_read_day_by_day() -> None:
    period = parse_period("2026-11-28", "2026-12-02")
    assert period.cells == [
        "2026-11-28",
        "2026-11-29",
        "2026-11-30",
        "2026-12-01",
        "2026-12-02",
    ]
    assert period.months == ["2026-11", "2026-12"]


def test_partial_edges_use_days_and_the_middle_whole_months() -> None:
    period = parse_period("2026-01-30", "2026-03-01")
    assert period.cells == ["2026-01-30", "2026-01-31", "2026-02", "2026-03-01"]


def test_days_that_cover_a_month_whole_read_its_month_cell() -> None:
    assert parse_period("2024-02-01", "2024-02-29").cells == ["2024-02"]  # leap year
    assert parse_period("2026-02", "2026-02-28").cells == ["2026-02"]


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [
        ("2026-13", "2026-12", "from"),
        ("2026-02-30", "2026-03", "from"),
        ("2026-01", "yesterday", "to"),
        ("2026-05-02", "2026-05-01", "to"),
        ("2020-01", "2026-01", "from"),
        ("9999-12-01", "9999-12-31", "from"),  # the month after it is no date
        ("2026-01", "9999-12", "to"),
        ("0001-01", "0001-01", "from"),
        ("1999-12", "2000-01", "from"),
    ],
)
def test_bad_periods_name_the_field(first: str, last: str, field: str) -> None:
    with pytest.raises(ApiError) as refused:
        parse_period(first, last)
    assert refused.value.status_code == 422
    assert refused.value.body.details[0].field == field
    assert refused.value.body.details[0].location == "query"


def test_periods_reach_the_last_month_the_bounds_allow() -> None:
    period = parse_period("2100-12", "2100-12")
    assert (period.first_day, period.last_day) == (date(2100, 12, 1), date(2100, 12, 31))
