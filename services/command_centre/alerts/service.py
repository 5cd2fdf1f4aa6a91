"""Alerting operators the moment a message is parked, until someone deals with it."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.command_centre.alerts import repository
from services.command_centre.board.models import ParkedAlert, ParkedAlerts
from shared.auth import Principal, scope_filter
from shared.events import ParkedMessageKept, ParkedMessageResolved
from shared.vocabulary import Role

Document = dict[str, Any]
SHOWN = 5  # the newest open alerts listed with their count


async def on_kept(db: AsyncDatabase[Document], event: ParkedMessageKept) -> None:
    """Raise the alert of a message a service gave up on."""
    await repository.apply(
        db,
        event.parked_id,
        event.sequence,
        {
            "open": True,
            "service": event.service,
            "queue": event.queue,
            "event_type": event.event_type,
            "hazard_id": event.hazard_id,
            "grid_path": event.grid_path,
            "error": event.error,
            "parked_at": event.parked_at,
        },
    )


async def on_resolved(db: AsyncDatabase[Document], event: ParkedMessageResolved) -> None:
    """Lower the alert once an operator dealt with the message."""
    await repository.apply(
        db,
        event.parked_id,
        event.sequence,
        {"open": False, "grid_path": event.grid_path, "resolved_at": event.resolved_at},
    )


async def for_principal(db: AsyncDatabase[Document], principal: Principal) -> ParkedAlerts | None:
    """Return the open alerts a county operator answers for (None for other roles): those in
    their subtree, and those that name no place."""
    if not principal.has_role(Role.COUNTY_OPERATOR):
        return None
    query = {"$or": [scope_filter(principal), {"grid_path": None}]}
    latest = await repository.open_ones(db, query, SHOWN)
    return ParkedAlerts(
        count=await repository.count_open(db, query),
        latest=[
            ParkedAlert(
                parked_id=doc["_id"],
                service=doc.get("service", ""),
                queue=doc.get("queue", ""),
                hazard_id=doc.get("hazard_id"),
                error=doc.get("error", ""),
                parked_at=doc["parked_at"],
            )
            for doc in latest
            if "parked_at" in doc
        ],
    )
