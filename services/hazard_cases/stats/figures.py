"""The figures the command centre asks for, from compact facts (pure logic: no database).

A hazard becomes one fact; the facts of one school and one month become a summary; summaries
add up over schools and months. Everything a query returns is computed from summaries, so a
query reads a few documents whatever the size of the history.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.vocabulary import HazardStatus

Document = dict[str, Any]

RECTIFIED = frozenset({HazardStatus.RECTIFIED.value, HazardStatus.CLOSED.value})
OPEN_RUNNING = frozenset({HazardStatus.ASSIGNED.value, HazardStatus.RECTIFYING.value})
NOT_COUNTED = frozenset({HazardStatus.REJECTED.value, HazardStatus.MERGED.value})


def _ts(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def fact_of(doc: Mapping[str, Any]) -> Document:
    """Return the compact fact of a hazard document (what the figures need, nothing more)."""
    return {
        "v": doc["version"],
        "c": doc["category"],
        "g": doc.get("risk_grade") or "",
        "s": doc["status"],
        "m": bool(doc.get("major")),
        "rep": _ts(doc["reported_at"]),
        "rect": _ts(doc.get("rectified_at")),
        "due": _ts(doc.get("rectify_by")),
    }


def summarise(facts: Iterable[Mapping[str, Any]], now: float) -> Document:
    """Return the summary of one school's facts for a period, as it stands at `now` (a POSIX
    timestamp): how many of the hazards still running to a deadline have passed it, and the
    earliest deadline of the others (when the summary must be made again)."""
    by: Counter[str] = Counter()
    rectified = on_time = major = overdue = 0
    ttr_sum = 0.0
    next_due: float | None = None
    for fact in facts:
        by[f"{fact['s']}|{fact['c']}|{fact['g']}"] += 1
        major += fact["m"]
        if fact["s"] in RECTIFIED and fact["rect"] is not None:
            rectified += 1
            ttr_sum += max(0.0, fact["rect"] - fact["rep"])
            if fact["due"] is None or fact["rect"] <= fact["due"]:
                on_time += 1
        if fact["s"] in OPEN_RUNNING and fact["due"] is not None:
            if fact["due"] <= now:
                overdue += 1
            elif next_due is None or fact["due"] < next_due:
                next_due = fact["due"]
    return {
        "by": dict(by),
        "rectified": rectified,
        "on_time": on_time,
        "ttr_sum": ttr_sum,
        "major": major,
        "overdue": overdue,
        "next_due": next_due,
    }


@dataclass
class Figures:
    """What a subtree's hazards add up to over a period."""

    total: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    by_category: Counter[str] = field(default_factory=Counter)
    by_grade: Counter[str] = field(default_factory=Counter)
    rectified: int = 0
    on_time: int = 0
    ttr_sum: float = 0.0
    major: int = 0
    overdue: int = 0  # as of when the summaries were made (see stats/service.py)

    def add(self, summary: Mapping[str, Any]) -> None:
        """Add one school-month summary."""
        for key, count in summary["by"].items():
            status, category, grade = key.split("|")
            self.total += count
            self.by_status[status] += count
            self.by_category[category] += count
            self.by_grade[grade or "ungraded"] += count
        self.rectified += summary["rectified"]
        self.on_time += summary["on_time"]
        self.ttr_sum += summary["ttr_sum"]
        self.major += summary["major"]
        self.overdue += summary.get("overdue", 0)  # summaries made before it was counted

    @property
    def counted(self) -> int:
        """Hazards that count for the rates (rejected and merged reports do not)."""
        return self.total - sum(self.by_status[s] for s in NOT_COUNTED)

    def rectification_rate(self) -> float | None:
        """Share of counted hazards rectified (整改率)."""
        return self.rectified / self.counted if self.counted else None

    def on_time_rate(self) -> float | None:
        """Share of rectified hazards rectified by their deadline (按期整改率)."""
        return self.on_time / self.rectified if self.rectified else None

    def mean_hours_to_rectify(self) -> float | None:
        """Mean time from report to rectification, in hours."""
        return self.ttr_sum / self.rectified / 3600 if self.rectified else None


def add_up(summaries: Iterable[Mapping[str, Any]]) -> Figures:
    """Return the figures of several school-month summaries."""
    figures = Figures()
    for summary in summaries:
        figures.add(summary)
    return figures


def merge(summaries: Iterable[Mapping[str, Any]]) -> Document:
    """Return one summary adding up several (a grid's, from those of the grids below it)."""
    by: Counter[str] = Counter()
    merged: Document = {"rectified": 0, "on_time": 0, "ttr_sum": 0.0, "major": 0, "overdue": 0}
    dues = []
    for summary in summaries:
        by.update(summary["by"])
        for key in ("rectified", "on_time", "ttr_sum", "major", "overdue"):
            merged[key] += summary.get(key, 0)  # summaries made before `overdue` was counted
        if summary.get("next_due") is not None:
            dues.append(summary["next_due"])
    return {"by": dict(by), **merged, "next_due": min(dues, default=None)}
