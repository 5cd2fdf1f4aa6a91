"""Time in one place, so that tests can move it (deadlines, escalation timers).

In development mode a service may be given a clock-offset file (setting CLOCK_OFFSET_FILE):
the number of seconds in it is added to the real time, in every process that reads the file.
Tests write it to jump hours ahead and watch deadlines pass and escalations fire; replicas of
a service all see the same moved time. Production never sets it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

# Re-read the file at most this often: a test's move is seen within this time.
_REFRESH_SECONDS = 0.1


class _Offset:
    def __init__(self) -> None:
        self.path: Path | None = None
        self.seconds = 0.0
        self.read_at = 0.0

    def current(self) -> float:
        if self.path is None:
            return 0.0
        now = time.monotonic()
        if now - self.read_at >= _REFRESH_SECONDS:
            self.read_at = now
            try:
                self.seconds = float(self.path.read_text().strip() or 0)
            except (OSError, ValueError):
                self.seconds = 0.0
        return self.seconds


_offset = _Offset()


def use_offset_file(path: Path | None) -> None:
    """Add the seconds written in `path` to every later `utc_now()` (None: real time)."""
    _offset.path = path
    _offset.read_at = 0.0


def utc_now() -> datetime:
    """Return the current time, timezone-aware, in UTC, truncated to milliseconds.

    MongoDB stores milliseconds; truncating here keeps what we write equal to what we read back.
    """
    now = datetime.now(UTC)
    offset = _offset.current()
    if offset:  # only where a test moves time; skipping it is cheaper on every request
        now += timedelta(seconds=offset)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
