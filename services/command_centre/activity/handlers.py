"""The command centre hears every event in Xiaoan and keeps a feed of them.

Subscribing to the whole catalogue also means no event type is ever published to nobody:
publishing uses mandatory routing, and an event with no queue bound would be refused.
"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.command_centre.activity import repository
from shared.events import CATALOGUE, Event
from shared.messaging import Broker, Delivery


def subscribe(broker: Broker, db: AsyncDatabase[dict[str, Any]]) -> None:
    """Register the activity handler for every event type in the catalogue."""

    async def on_any_event(event: Event, delivery: Delivery) -> None:
        await repository.insert_once(
            db,
            {
                "_id": event.event_id,
                "type": event.routing_key,
                "occurred_at": event.occurred_at,
                "grid_path": getattr(event, "grid_path", None) or getattr(event, "path", None),
                "correlation_id": delivery.correlation_id,
            },
        )

    broker.subscribe("activity", CATALOGUE.all(), on_any_event)
