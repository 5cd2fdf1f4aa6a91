"""Consumers that keep the board current."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.command_centre.board import service
from shared.events import HazardAssigned, HazardEscalated, HazardOpened, HazardTransitioned
from shared.messaging import Broker, Delivery

BoardEvent = HazardOpened | HazardAssigned | HazardTransitioned | HazardEscalated


def subscribe(broker: Broker, db: AsyncDatabase[dict[str, Any]]) -> None:
    """Register the board handlers on `broker` (one queue, so a hazard's events stay in order)."""

    async def on_hazard_event(event: BoardEvent, delivery: Delivery) -> None:
        if isinstance(event, HazardOpened):
            await service.on_opened(db, event)
        elif isinstance(event, HazardAssigned):
            await service.on_assigned(db, event)
        elif isinstance(event, HazardTransitioned):
            await service.on_transitioned(db, event)
        else:
            await service.on_escalated(db, event)

    broker.subscribe(
        "board",
        [HazardOpened, HazardAssigned, HazardTransitioned, HazardEscalated],
        on_hazard_event,
    )
