"""Consumers that keep the board current."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.command_centre.board import service
from shared.events import HazardAssigned, HazardOpened
from shared.messaging import Broker, Delivery


def subscribe(broker: Broker, db: AsyncDatabase[dict[str, Any]]) -> None:
    """Register the board handlers on `broker` (one queue, so a hazard's events stay in order)."""

    async def on_hazard_event(event: HazardOpened | HazardAssigned, delivery: Delivery) -> None:
        if isinstance(event, HazardOpened):
            await service.on_opened(db, event)
        else:
            await service.on_assigned(db, event)

    broker.subscribe("board", [HazardOpened, HazardAssigned], on_hazard_event)
