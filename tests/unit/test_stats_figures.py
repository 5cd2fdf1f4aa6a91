"""The command centre's figures from compact facts: counts, rates, mean time, overdue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.hazard_cases.stats.figures import add_up, fact_of, summarise

T0 = datetime(2026, 11, 2, 8, tzinfo=UTC)


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
    facts = {
        "on-time": fact_of(hazard("closed", rectified_after_h=10, due_after_h=24)),
        "late": fact_of(hazard("closed", rectified_after_h=30, due_after_h=24)),
        "waiting": fact_of(hazard("rectified", rectified_after_h=20, due_after_h=24)),
        "open": fact_of(hazard("rectifying", rectified_after_h=None, due_after_h=24)),
        "not-a-hazard": fact_of(
            hazard("rejected", rectified_after_h=None, due_after_h=168, grade="yellow")
        ),
    }
    figures = add_up([summarise(facts)])

    assert figures.total == 5
    assert figures.by_status == {"closed": 2, "rectified": 1, "rectifying": 1, "rejected": 1}
    assert figures.by_grade == {"red": 4, "yellow": 1}
    assert figures.counted == 4  # rejected reports do not count against the school
    assert figures.rectification_rate() == 3 / 4
    assert figures.on_time_rate() == 2 / 3
    assert figures.mean_hours_to_rectify() == (10 + 30 + 20) / 3
    assert figures.major == 4
    assert [pair[0] for pair in figures.overdue(T0 + timedelta(hours=25))] == ["open"]
    assert figures.overdue(T0 + timedelta(hours=23)) == []


def test_summaries_of_several_schools_and_months_add_up() -> None:
    one = summarise({"a": fact_of(hazard("closed", rectified_after_h=5, due_after_h=24))})
    two = summarise(
        {
            "b": fact_of(
                hazard("assigned", rectified_after_h=None, due_after_h=1, category="traffic")
            ),
            "c": fact_of(hazard("assigned", rectified_after_h=None, due_after_h=2)),
        }
    )
    figures = add_up([one, two, two])

    assert figures.total == 5
    assert figures.by_category == {"fire": 3, "traffic": 2}
    late = figures.overdue(T0 + timedelta(hours=3))
    assert [pair[0] for pair in late] == ["b", "b", "c", "c"]  # the longest overdue first
    assert add_up([]).rectification_rate() is None
