"""The lists schools report upward (隐患排查整改清单): open, overdue, and closed in a period, for
a grid's subtree, as JSON pages or as an Excel workbook with Chinese headers."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_cases.hazards import repository
from services.hazard_cases.hazards.lifecycle import DEADLINE_RUNS, OPEN_STATUSES
from shared.clock import utc_now
from shared.errors import field_error

Document = dict[str, Any]
MAX_EXPORT_ROWS = 50_000


class ListKind(StrEnum):
    """Which list."""

    OPEN = "open"  # 未销号
    OVERDUE = "overdue"  # 超期未整改
    CLOSED = "closed"  # 已销号（期间内）
    MAJOR = "major"  # 挂牌督办：未销号的重大隐患


LIST_TITLES: dict[ListKind, tuple[str, str]] = {
    ListKind.OPEN: ("隐患排查整改清单（未销号）", "Open hazards"),
    ListKind.OVERDUE: ("超期未整改隐患清单", "Overdue hazards"),
    ListKind.CLOSED: ("已整改销号隐患清单", "Closed hazards"),
    ListKind.MAJOR: ("重大隐患挂牌督办清单", "Major hazards under the bureau's supervision"),
}


def query(
    kind: ListKind, path: str, since: datetime | None, until: datetime | None
) -> tuple[Document, list[tuple[str, int]]]:
    """Return the filter and sort of a list under `path`."""
    scope = {"grid_path": {"$regex": "^" + re.escape(path)}}
    if kind == ListKind.OPEN:
        statuses = [s.value for s in OPEN_STATUSES]
        return {**scope, "status": {"$in": statuses}}, [("reported_at", 1)]
    if kind == ListKind.MAJOR:
        statuses = [s.value for s in OPEN_STATUSES]
        return {**scope, "major": True, "status": {"$in": statuses}}, [("rectify_by", 1)]
    if kind == ListKind.OVERDUE:
        running = [s.value for s in DEADLINE_RUNS]
        late = {"$lt": utc_now()}
        return {**scope, "status": {"$in": running}, "rectify_by": late}, [("rectify_by", 1)]
    if since is None or until is None:
        raise field_error(
            "since",
            "missing",
            "已销号清单需要起止时间",
            "The closed list needs since and until",
            location="query",
        )
    if until <= since:
        raise field_error(
            "until",
            "before_since",
            "结束时间须晚于开始时间",
            "until must follow since",
            location="query",
        )
    closed = {"$gte": since, "$lt": until}
    return {**scope, "status": "closed", "closed_at": closed}, [("closed_at", 1)]


async def rows(
    db: AsyncDatabase[Document], filter_: Document, sort: list[tuple[str, int]], limit: int
) -> list[Document]:
    """Return the hazards of a list, in its order."""
    return await repository.listed(db, filter_, sort, limit)
