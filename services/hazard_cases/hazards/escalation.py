"""When a hazard's timers run out, and to whom it climbs (pure logic: no database, no clock).

A hazard's one pending timer is `next_check_at`: the acceptance window while it waits to be
accepted, the rectification deadline while it is rectified, then each level's own timer once
it has climbed. When it runs out the hazard escalates one level up its chain (zone → school →
township → county, then the bureau leader overlays), at the time it was due, so a timer
service that was down catches up to the level the hazard should have reached. Someone acting
restarts the current level's timer; nothing is checked once the chain is exhausted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from services.hazard_cases.hazards.lifecycle import DEADLINE_RUNS
from shared.vocabulary import HazardStatus


class Reason(StrEnum):
    """Why a hazard climbed."""

    NOT_ACCEPTED = "not_accepted"  # nobody accepted the assignment in time
    OVERDUE = "overdue"  # not rectified by the deadline


REASON_LABELS: dict[Reason, tuple[str, str]] = {
    Reason.NOT_ACCEPTED: ("超时未签收", "not accepted in time"),
    Reason.OVERDUE: ("超期未整改", "not rectified by the deadline"),
}


@dataclass(frozen=True)
class Step:
    """One escalation: the level reached, the person it goes to, and the next check."""

    level: int  # 1 = the first level above the assignee
    to: Mapping[str, Any] | None  # a PersonRef as stored; None once the chain is exhausted
    reason: Reason
    due_at: datetime
    next_check_at: datetime | None


def first_check(
    status: HazardStatus, accept_by: datetime | None, rectify_by: datetime | None
) -> datetime | None:
    """Return the first timer of a hazard in `status` that has not climbed yet."""
    if status == HazardStatus.ASSIGNED:
        times = [t for t in (accept_by, rectify_by) if t is not None]
        return min(times) if times else None
    if status == HazardStatus.RECTIFYING:
        return rectify_by
    return None


def after_action(
    status: HazardStatus,
    accept_by: datetime | None,
    rectify_by: datetime | None,
    level: int,
    now: datetime,
    step: timedelta,
) -> datetime | None:
    """Return the next check after someone acted: the current level's timer starts again."""
    check = first_check(status, accept_by, rectify_by)
    if check is None or level == 0:
        return check
    return max(check, now + step)


def _targets(doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Return the chain above the assignee, without the assignee."""
    assignee = (doc.get("assignee") or {}).get("person_id")
    return [p for p in doc.get("escalation_chain", []) if p.get("person_id") != assignee]


def due_step(doc: Mapping[str, Any], now: datetime, step: timedelta) -> Step | None:
    """Return the escalation a hazard owes at `now`, or None if none is due."""
    status = HazardStatus(doc["status"])
    due_at = doc.get("next_check_at")
    if status not in DEADLINE_RUNS or due_at is None or due_at > now:
        return None
    rectify_by = doc.get("rectify_by")
    overdue = rectify_by is not None and rectify_by <= due_at
    reason = Reason.OVERDUE if overdue or status != HazardStatus.ASSIGNED else Reason.NOT_ACCEPTED
    level = int(doc.get("escalation_level", 0))
    targets = _targets(doc)
    if level >= len(targets):
        return Step(level=level, to=None, reason=reason, due_at=due_at, next_check_at=None)
    return Step(
        level=level + 1,
        to=targets[level],
        reason=reason,
        due_at=due_at,
        next_check_at=due_at + step,
    )
