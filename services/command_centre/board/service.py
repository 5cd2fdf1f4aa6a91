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


BoardEvent = HazardOpened | HazardAssigned | HazardTransitioned | HazardEscalated


def _facts(event: HazardOpened) -> Document:
    """What never changes about a hazard: who reported it, where, what."""
    return {
        "grid_path": event.grid_path,
        "category": event.category.value,
        "risk_grade": event.risk_grade.value if event.risk_grade else None,
        "description": event.description,
        "school_name": event.school_name,
        "point_name": event.point_name,
        "grid_name": event.grid_name,
        "reporter": event.reporter.model_dump(),
        "reported_at": event.reported_at,
    }


def _change(event: BoardEvent) -> Document:
    """The fields of a row an event sets (when it is newer than the row)."""
    if isinstance(event, HazardOpened):
        # Its flag is state, not a fact: an assignment clears it, a late opening must not
        # bring it back.
        return {
            **_facts(event),
            "status": event.status.value,
            "assignee": None,
            "flag_reason": event.flag_reason,
        }
    if isinstance(event, HazardAssigned):
        return {
            "grid_path": event.grid_path,
            "category": event.category.value,
            "description": event.description,
            "point_name": event.point_name,
            # The place's names, when the registry's copy lagged at the opening.
            **({"school_name": event.school_name} if event.school_name else {}),
            **({"grid_name": event.grid_name} if event.grid_name else {}),
            "status": event.status.value,
            "assignee": event.assignee.model_dump(),
            "flag_reason": None,  # assigned: its place reads again
        }
    if isinstance(event, HazardTransitioned):
        return {
            "status": event.status.value,
            "assignee": event.assignee.model_dump() if event.assignee else None,
            "rectify_by": event.rectify_by,
        }
    return {
        "status": event.status.value,
        "escalation_level": event.level,
        "escalated_to": event.escalated_to.model_dump(),
        "rectify_by": event.rectify_by,
    }


async def apply(db: AsyncDatabase[Document], events: list[BoardEvent]) -> None:
    """Bring the rows of `events`' hazards up to date, in a few writes for the whole batch.

    A row only moves forward (each event carries its hazard's version), so redelivered or late
    events change nothing; but an opening that arrives after a later event still fills in the
    facts only it carries.
    """
    now = utc_now()
    await repository.apply_all(
        db, [(e.hazard_id, e.version, {**_change(e), "updated_at": now}) for e in events]
    )
    await repository.fill_in_all(
        db, [(e.hazard_id, _facts(e)) for e in events if isinstance(e, HazardOpened)]
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
        category_label_en=CATEGORY_LABELS[category][1],
        risk_grade=doc.get("risk_grade"),
        description=doc["description"],
        school_name=doc.get("school_name"),
        point_name=doc.get("point_name"),
        grid_name=doc.get("grid_name"),
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
