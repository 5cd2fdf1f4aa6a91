"""Consumers that raise and lower the parked-message alerts."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.command_centre.alerts import service
from shared.events import ParkedMessageKept, ParkedMessageResolved
from shared.messaging import Broker, Delivery


def subscribe(broker: Broker, db: AsyncDatabase[dict[str, Any]]) -> None:
    """Register the alert handlers on `broker` (one queue: a message's changes stay in order)."""

    async def on_parked_event(
        event: ParkedMessageKept | ParkedMessageResolved, delivery: Delivery
    ) -> None:
        if isinstance(event, ParkedMessageKept):
            await service.on_kept(db, event)
        else:
            await service.on_resolved(db, event)

    broker.subscribe("parked_alerts", [ParkedMessageKept, ParkedMessageResolved], on_parked_event)
