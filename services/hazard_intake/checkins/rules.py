"""The checks of check-ins that need more than the request: the clock and the registry's data.

Pure functions (no I/O): each returns normally or raises the 422 naming the field, in Chinese
and English.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from shared.errors import ApiError, ErrorDetail, field_error
from shared.events import CheckResult
from shared.responsibility import DEFAULT_CALENDAR
from shared.vocabulary import GridLevel

CHINA = ZoneInfo(DEFAULT_CALENDAR.timezone)
# Phones' clocks drift; a time this far ahead of ours is a wrong clock, not drift.
MAX_CLOCK_AHEAD = timedelta(minutes=10)
CLASS_LEVELS = (GridLevel.ZONE,)  # a class's own grid sits inside its school
SCHOOL_LEVELS = (GridLevel.SCHOOL, GridLevel.TOWNSHIP)  # L2 also holds county-run schools
DUTY_LEVELS = (GridLevel.BUREAU, GridLevel.TOWNSHIP, GridLevel.SCHOOL)


def token_from_scan(scanned: str) -> str:
    """Return the token in what a QR code encodes (the token, or the URL ending in it)."""
    text = scanned.strip()
    if "://" in text:
        text = urlsplit(text).path
    return text.rstrip("/").rsplit("/", 1)[-1]


def check_moment(field: str, at: datetime, now: datetime, max_age: timedelta) -> None:
    """Refuse a phone-clock time in the future, or older than submissions are remembered."""
    if at > now + MAX_CLOCK_AHEAD:
        raise field_error(
            field,
            "in_future",
            "时间晚于当前时间，请检查手机时间",
            "The time is in the future; check the phone's clock",
        )
    if at < now - max_age:
        raise field_error(
            field,
            "too_old",
            f"只能补交 {max_age.days} 天内的记录",
            f"Only records of the last {max_age.days} days are accepted",
        )


def check_day(field: str, day: date, now: datetime, max_age: timedelta) -> None:
    """Refuse a school day after today (China time) or older than submissions are remembered."""
    today = now.astimezone(CHINA).date()
    if day > today:
        raise field_error(field, "in_future", "日期不能晚于今天", "The date cannot be after today")
    if day < today - max_age:
        raise field_error(
            field,
            "too_old",
            f"只能补交 {max_age.days} 天内的记录",
            f"Only records of the last {max_age.days} days are accepted",
        )


def check_results(results: Sequence[CheckResult], check_items: Sequence[str]) -> None:
    """Refuse results that do not answer exactly the point's check list, naming each problem."""
    listed = [item.strip() for item in check_items]
    details = [
        ErrorDetail(
            field=f"results.{index}.item",
            location="body",
            code="not_on_check_list",
            message_zh=f"「{result.item}」不在该风险点的检查清单中",
            message_en=f"'{result.item}' is not on this point's check list",
        )
        for index, result in enumerate(results)
        if result.item.strip() not in listed
    ]
    answered = {result.item.strip() for result in results}
    missing = [item for item in listed if item not in answered]
    if missing:
        details.append(
            ErrorDetail(
                field="results",
                location="body",
                code="check_items_missing",
                message_zh="以下检查项未填写：" + "、".join(missing),
                message_en="Check items not answered: " + "; ".join(missing),
            )
        )
    if details:
        raise ApiError(
            422, "validation_failed", "请求内容有误", "The request is invalid", details=details
        )


def class_name_for(level: GridLevel, grid_name: str, class_name: str | None) -> str:
    """Return the class a health check is for: a class's grid names it, a school's cannot."""
    if level in CLASS_LEVELS:
        return class_name or grid_name
    if level in SCHOOL_LEVELS:
        if not class_name:
            raise field_error(
                "class_name",
                "missing",
                "以学校网格提交晨午检时须填写班级名称",
                "Name the class (class_name) when the grid is a school's",
            )
        return class_name
    raise field_error(
        "grid_id",
        "not_a_class",
        "晨午检须提交到班级或学校网格",
        "Health checks are for a class's or a school's grid",
    )


def check_duty_level(level: GridLevel) -> None:
    """Refuse duty check-ins at grids that keep no duty (a zone in a school, outside grids)."""
    if level not in DUTY_LEVELS:
        raise field_error(
            "grid_id",
            "no_duty_here",
            "值班签到须在学校、乡镇或教育局网格",
            "Duty check-ins are at a school's, township's or bureau's grid",
        )
