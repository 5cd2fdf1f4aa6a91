"""The command centre's figures from compact facts: counts, rates, mean time, overdue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.hazard_cases.stats.figures import add_up, fact_of, merge, summarise

T0 = datetime(2026, 11, 2, 8, tzinfo=UTC)


def at(hours: float) -> float:
    """Return the POSIX time `hours` after T0."""
    return (T0 + timedelta(hours=hours)).timestamp()


def hazard(
    status: str, *, rectified_after_h: float | None, due_after_h: float, **more: object
) -> dict:
    return {
        "version": 3,
        "category": more.get("category", "fire"),
        "risk_grade": more.get("grade", "red"),
        "status": status,
        "major": more.get("grade", "red") == "red",
        "reported_at": T0,
        "rectified_at": T0 + timedelta(hours=rectified_after_h) if rectified_after_h else None,
        "rectify_by": T0 + timedelta(hours=due_after_h),
    }


def test_a_school_month_adds_up_to_counts_rates_and_overdue() -> None:
    facts = [
        fact_of(hazard("closed", rectified_after_h=10, due_after_h=24)),
        fact_of(hazard("closed", rectified_after_h=30, due_after_h=24)),
        fact_of(hazard("rectified", rectified_after_h=20, due_after_h=24)),
        fact_of(hazard("rectifying", rectified_after_h=None, due_after_h=24)),
        fact_of(hazard("rejected", rectified_after_h=None, due_after_h=168, grade="yellow")),
    ]
    figures = add_up([summarise(facts, at(25))])

    assert figures.total == 5
    assert figures.by_status == {"closed": 2, "rectified": 1, "rectifying": 1, "rejected": 1}
    assert figures.by_grade == {"red": 4, "yellow": 1}
    assert figures.counted == 4  # rejected reports do not count against the school
    assert figures.rectification_rate() == 3 / 4
    assert figures.on_time_rate() == 2 / 3
    assert figures.mean_hours_to_rectify() == (10 + 30 + 20) / 3
    assert figures.major == 4
    assert figures.overdue == 1  # the one still being rectified, an hour past its deadline
    before = summarise(facts, at(23))
    assert before["overdue"] == 0
    assert before["next_due"] == at(24)  # when the summary must be made again
    assert summarise(facts, at(25))["next_due"] is None


def test_summaries_of_several_schools_and_months_add_up() -> None:
    one = summarise([fact_of(hazard("closed", rectified_after_h=5, due_after_h=24))], at(1.5))
    two = summarise(
        [
            fact_of(hazard("assigned", rectified_after_h=None, due_after_h=1, category="traffic")),
            fact_of(hazard("assigned", rectified_after_h=None, due_after_h=2)),
        ],
        at(1.5),
    )
    figures = add_up([one, two, two])

    assert figures.total == 5
    assert figures.by_category == {"fire": 3, "traffic": 2}
    assert figures.overdue == 2  # the traffic hazard, in each of the two months
    assert add_up([]).rectification_rate() is None


def test_a_grid_summary_adds_overdue_counts_and_keeps_the_earliest_deadline_to_come() -> None:
    first = summarise([fact_of(hazard("assigned", rectified_after_h=None, due_after_h=5))], at(1))
    second = summarise(
        [
            fact_of(hazard("rectifying", rectified_after_h=None, due_after_h=0.5)),
            fact_of(hazard("assigned", rectified_after_h=None, due_after_h=3)),
        ],
        at(1),
    )
    grid = merge([first, second])

    assert grid["overdue"] == 1
    assert grid["next_due"] == at(3)
    assert merge([summarise([], at(1))])["next_due"] is None


def test_summaries_made_before_overdue_was_counted_still_add_up() -> None:
    former = {"by": {"closed|fire|red": 2}, "rectified": 2, "on_time": 2, "ttr_sum": 7200.0}
    former |= {"major": 2, "open": {"h1": at(-1)}}
    figures = add_up([former, merge([former])])

    assert (figures.total, figures.overdue) == (4, 0)
