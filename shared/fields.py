"""Field types for what clients send: text, ids, integers, dates and times, time zones.

Every request model, query and path parameter takes its fields from here, so that nothing is
stored that a later read, export or consumer cannot handle (an Excel export that cannot write a
control character, a calendar whose time zone does not load, a date `datetime` cannot shift).
The bounds, stated once:

- Text: no control characters (U+0000–U+001F, U+007F–U+009F) and no U+FFFE or U+FFFF.
  Multi-line text (`Text`) keeps tab, line feed and carriage return (a line break as Windows
  and HTML forms send it, CR LF); single-line text (`SingleLineText`) keeps none of them. The
  length of each field is set where it is used: `Annotated[SingleLineText, Field(max_length=..)]`
  or `name: SingleLineText = Field(max_length=...)`.
- Ids: 1–64 letters, digits, `.`, `_`, `:` or `-`, starting with a letter or a digit; random
  tokens in URLs (QR codes): 8–128 characters of URL-safe base64.
- Integers: paging `skip` from 0 to 1,000,000; any other integer fits in BSON's int64.
- Dates: from 2000-01-01 to 2100-12-31. Moments (date and time): with their UTC offset, from
  2000-01-01T00:00:00Z up to, not including, 2101-01-01T00:00:00Z (`MomentOrLocal`, where a
  standard lets the offset out, bounds the day of a time given without one).
- Time zones: IANA names the platform's zoneinfo can load (`Asia/Shanghai`, `UTC`, ...).
- Intervals: `check_interval` refuses an end before its start.

Custom checks raise `ValueError("<中文> | <English>")`, which shared.errors turns into the
bilingual field error; the text and id patterns are translated there from PATTERN_MESSAGES.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import cache
from typing import Annotated, TypeVar
from zoneinfo import ZoneInfo, available_timezones

from pydantic import AfterValidator, Field, StringConstraints

# Control characters (C0 and C1, DEL) and the two non-characters XML cannot carry. Written for
# Python, pydantic's Rust regex engine and JSON Schema alike.
_REFUSED_IN_TEXT = r"\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\uFFFE\uFFFF"
_REFUSED_IN_LINE = r"\x00-\x1F\x7F-\x9F\uFFFE\uFFFF"
TEXT_PATTERN = rf"^[^{_REFUSED_IN_TEXT}]*$"
SINGLE_LINE_PATTERN = rf"^[^{_REFUSED_IN_LINE}]*$"
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"
ID_MAX_LENGTH = 64
TOKEN_PATTERN = r"^[A-Za-z0-9_-]+$"

MIN_DAY = date(2000, 1, 1)
MAX_DAY = date(2100, 12, 31)
MIN_MOMENT = datetime(2000, 1, 1, tzinfo=UTC)
END_OF_MOMENTS = datetime(2101, 1, 1, tzinfo=UTC)  # exclusive
MAX_SKIP = 1_000_000
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
TIME_ZONE_MAX_LENGTH = 64

# What shared.errors says when one of the patterns above is not matched.
PATTERN_MESSAGES: dict[str, tuple[str, str]] = {
    TEXT_PATTERN: (
        "不能包含控制字符（换行和制表符除外）",
        "Must not contain control characters (other than line breaks and tabs)",
    ),
    SINGLE_LINE_PATTERN: (
        "不能包含换行、制表符或其他控制字符",
        "Must be one line without tabs or other control characters",
    ),
    ID_PATTERN: (
        f"编号只能由字母、数字和 . _ : - 组成，以字母或数字开头，最长 {ID_MAX_LENGTH} 个字符",
        f"An id is up to {ID_MAX_LENGTH} letters, digits, '.', '_', ':' or '-', "
        "starting with a letter or digit",
    ),
    TOKEN_PATTERN: (
        "令牌只能由字母、数字、- 和 _ 组成",
        "A token is made of letters, digits, '-' and '_'",
    ),
}

_REFUSED_IN_TEXT_RE = re.compile(f"[{_REFUSED_IN_TEXT}]")
_REFUSED_IN_LINE_RE = re.compile(f"[{_REFUSED_IN_LINE}]")


# Free text over several lines: descriptions, notes, reasons.
Text = Annotated[str, StringConstraints(pattern=TEXT_PATTERN)]
# One line: names, titles, posts, check items, officers, references.
SingleLineText = Annotated[str, StringConstraints(pattern=SINGLE_LINE_PATTERN)]
# The id of an object (a grid, point, person, hazard, ...), in a body, a path or a query.
Id = Annotated[str, StringConstraints(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN)]

# A random token in a URL (a QR code's): URL-safe base64.
Token = Annotated[str, StringConstraints(min_length=8, max_length=128, pattern=TOKEN_PATTERN)]


def without_control_characters(text: str, *, multi_line: bool = True) -> str:
    """Return `text` without the characters Text (or SingleLineText) refuses.

    For values stored before these types existed, where refusing is no longer possible (an
    export must still be written).
    """
    pattern = _REFUSED_IN_TEXT_RE if multi_line else _REFUSED_IN_LINE_RE
    return pattern.sub("", text)


# Integers: what BSON (and FerretDB) store as int64, and paging offsets.
Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]
Skip = Annotated[int, Field(ge=0, le=MAX_SKIP, description=f"Items to skip (0 to {MAX_SKIP:,})")]


def _day_in_range(value: date) -> date:
    if not MIN_DAY <= value <= MAX_DAY:
        raise ValueError(
            f"日期须在 {MIN_DAY} 至 {MAX_DAY} 之间 | The date must be between {MIN_DAY} and {MAX_DAY}"
        )
    return value


def _moment_in_range(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            "时间须带时区，例如 2026-11-23T09:40:00+08:00 | "
            "The time must include its time zone (UTC offset), e.g. 2026-11-23T09:40:00+08:00"
        )
    # Aware comparisons subtract offsets as timedeltas, so year 1 or 9999 cannot overflow here.
    if not MIN_MOMENT <= value < END_OF_MOMENTS:
        raise ValueError(
            f"时间须在 {MIN_DAY} 至 {MAX_DAY}（UTC）之间 | "
            f"The time must be between {MIN_DAY} and {MAX_DAY} (UTC)"
        )
    return value


def _moment_or_local_in_range(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        _day_in_range(value.date())
        return value
    return _moment_in_range(value)


# A calendar day (holidays, health checks, rosters).
Day = Annotated[date, AfterValidator(_day_in_range)]
# An instant, given with its UTC offset (deadlines, "at" of a trace-back, a phone's clock).
Moment = Annotated[datetime, AfterValidator(_moment_in_range)]
# The same where a standard lets the offset out (Open311): without one, its day is bounded and
# the caller reads it in its own time zone.
MomentOrLocal = Annotated[datetime, AfterValidator(_moment_or_local_in_range)]


@cache
def _zone_names() -> frozenset[str]:
    # The host's own "localtime" link is not a zone another host would know.
    return frozenset(available_timezones()) - {"localtime"}


def _loadable_zone(name: str) -> str:
    if name not in _zone_names():
        raise ValueError(
            f"未知的时区：{name}（应为 IANA 时区名，例如 Asia/Shanghai） | "
            f"Unknown time zone {name!r}: give an IANA name such as Asia/Shanghai"
        )
    ZoneInfo(name)  # listed zones load; a broken file fails here rather than in every lookup
    return name


# An IANA time-zone name that loads with zoneinfo.
TimeZoneName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=TIME_ZONE_MAX_LENGTH),
    AfterValidator(_loadable_zone),
]

Ordered = TypeVar("Ordered", date, datetime)


def check_interval(start: Ordered | None, end: Ordered, *, inclusive: bool) -> Ordered:
    """Return `end`, or refuse it when it comes before `start` (or at it, unless `inclusive`).

    For a field validator of the end of an interval; `start` is None when it was itself
    refused (then there is nothing to compare).
    """
    if start is None:
        return end
    if end < start or (end == start and not inclusive):
        if inclusive:
            raise ValueError("结束不能早于开始 | The end must not be before the start")
        raise ValueError("结束须晚于开始 | The end must be after the start")
    return end
