"""Consumers of the notification service."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.notifications.inbox import service
from shared.events import HazardAssigned
from shared.messaging import Broker, Delivery


def subscribe(broker: Broker, db: AsyncDatabase[dict[str, Any]]) -> None:
    """Register the notification handlers on `broker`."""

    async def on_hazard_assigned(event: HazardAssigned, delivery: Delivery) -> None:
        await service.notify_assignee(db, event)

    broker.subscribe("hazard_assigned", [HazardAssigned], on_hazard_assigned)
