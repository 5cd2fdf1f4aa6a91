"""The command centre hears every event in Xiaoan and keeps a feed of them.

Subscribing to the whole catalogue also means no event type is ever published to nobody:
publishing uses mandatory routing, and an event with no queue bound would be refused.

One type is left out: a submitted report. It is the busiest event of the platform, the case
service always consumes it, and its outcome reaches this feed anyway as HazardOpened or
ReportLinked (both carry the report id). Hearing it here too would make the broker store every
report twice at the front door, where its time is worth the most.
"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.command_centre.activity import repository
from shared.events import CATALOGUE, Event, ReportSubmitted
from shared.messaging import Broker, Delivery


def subscribe(broker: Broker, db: AsyncDatabase[dict[str, Any]]) -> None:
    """Register the activity handler for every event type in the catalogue."""

    async def on_events(batch: list[tuple[Event, Delivery]]) -> None:
        # A burst of events is one insert for the batch, not one each.
        await repository.insert_missing(db, [_entry(event, delivery) for event, delivery in batch])

    heard = [event_type for event_type in CATALOGUE.all() if event_type is not ReportSubmitted]
    broker.subscribe_batches("activity", heard, on_events, max_batch=200)


def _entry(event: Event, delivery: Delivery) -> dict[str, Any]:
    return {
        "_id": event.event_id,
        "type": event.routing_key,
        "occurred_at": event.occurred_at,
        "grid_path": getattr(event, "grid_path", None) or getattr(event, "path", None),
        "correlation_id": delivery.correlation_id,
    }
