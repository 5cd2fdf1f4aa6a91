"""Building the board from hazard events, and reading it for the caller's area."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.command_centre.alerts import service as alerts
from services.command_centre.board import repository
from services.command_centre.board.models import Board, BoardCounts, BoardRow
from shared.auth import Principal, scope_filter
from shared.clock import utc_now
from shared.events import HazardAssigned, HazardEscalated, HazardOpened, HazardTransitioned
from shared.vocabulary import (
    CATEGORY_LABELS,
    HAZARD_STATUS_LABELS,
    HazardCategory,
    HazardStatus,
)

Document = dict[str, Any]


async def on_opened(db: AsyncDatabase[Document], event: HazardOpened) -> None:
    """Put a new hazard on the board (or complete a row a later event created first)."""
    facts = {
        "grid_path": event.grid_path,
        "category": event.category.value,
        "risk_grade": event.risk_grade.value if event.risk_grade else None,
        "description": event.description,
        "school_name": event.school_name,
        "point_name": event.point_name,
        "reporter": event.reporter.model_dump(),
        "reported_at": event.reported_at,
        "flag_reason": event.flag_reason,
    }
    state = {"status": event.status.value, "assignee": None, "updated_at": utc_now()}
    if not await repository.apply(db, event.hazard_id, event.version, {**facts, **state}):
        await repository.fill_in(db, event.hazard_id, facts)


async def on_assigned(db: AsyncDatabase[Document], event: HazardAssigned) -> None:
    """Show who must now rectify a hazard."""
    await repository.apply(
        db,
        event.hazard_id,
        event.version,
        {
            "grid_path": event.grid_path,
            "category": event.category.value,
            "description": event.description,
            "point_name": event.point_name,
            "status": event.status.value,
            "assignee": event.assignee.model_dump(),
            "flag_reason": None,  # assigned: its place reads again
            "updated_at": utc_now(),
        },
    )


async def on_transitioned(db: AsyncDatabase[Document], event: HazardTransitioned) -> None:
    """Show a hazard's new state after someone acted on it."""
    await repository.apply(
        db,
        event.hazard_id,
        event.version,
        {
            "status": event.status.value,
            "assignee": event.assignee.model_dump() if event.assignee else None,
            "rectify_by": event.rectify_by,
            "updated_at": utc_now(),
        },
    )


async def on_escalated(db: AsyncDatabase[Document], event: HazardEscalated) -> None:
    """Show how far up the grid an overdue hazard has climbed, and to whom."""
    await repository.apply(
        db,
        event.hazard_id,
        event.version,
        {
            "status": event.status.value,
            "escalation_level": event.level,
            "escalated_to": event.escalated_to.model_dump(),
            "rectify_by": event.rectify_by,
            "updated_at": utc_now(),
        },
    )


def _to_row(doc: Document) -> BoardRow:
    status = HazardStatus(doc["status"])
    category = HazardCategory(doc["category"])
    return BoardRow(
        hazard_id=doc["_id"],
        status=status,
        status_label_zh=HAZARD_STATUS_LABELS[status][0],
        status_label_en=HAZARD_STATUS_LABELS[status][1],
        category=category,
        category_label_zh=CATEGORY_LABELS[category][0],
        risk_grade=doc.get("risk_grade"),
        description=doc["description"],
        school_name=doc.get("school_name"),
        point_name=doc.get("point_name"),
        reporter=doc["reporter"],
        assignee=doc.get("assignee"),
        rectify_by=doc.get("rectify_by"),
        escalation_level=int(doc.get("escalation_level", 0)),
        escalated_to=doc.get("escalated_to"),
        flag_reason=doc.get("flag_reason"),
        reported_at=doc["reported_at"],
        updated_at=doc["updated_at"],
    )


async def board_for(db: AsyncDatabase[Document], principal: Principal, limit: int) -> Board:
    """Return the newest hazards and the counts of the caller's area."""
    # Rows whose opening event has not arrived yet are left out until it does.
    query = {"$and": [scope_filter(principal), {"reported_at": {"$exists": True}}]}
    rows = [_to_row(doc) for doc in await repository.newest(db, query, limit)]
    by_status = await repository.count_by_status(db, query)
    return Board(
        rows=rows,
        counts=BoardCounts(total=sum(by_status.values()), by_status=by_status),
        alerts=await alerts.for_principal(db, principal),
    )
