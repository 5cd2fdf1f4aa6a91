"""Time in one place, so that tests can move it (deadlines, escalation timers)."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """Return the current time, timezone-aware, in UTC, truncated to milliseconds.

    MongoDB stores milliseconds; truncating here keeps what we write equal to what we read back.
    """
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
