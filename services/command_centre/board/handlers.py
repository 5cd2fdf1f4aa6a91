"""Consumers that keep the board current."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.command_centre.board import service
from shared.events import HazardAssigned, HazardEscalated, HazardOpened, HazardTransitioned
from shared.messaging import Broker, Delivery

# A burst of reports (a holiday's start) means a burst of openings and assignments: written
# together, a batch costs two round trips to the database instead of one per event.
EVENT_BATCH = 200


def subscribe(broker: Broker, db: AsyncDatabase[dict[str, Any]]) -> None:
    """Register the board handler on `broker` (one queue, the events of a hazard in order)."""

    async def on_hazard_events(batch: list[tuple[service.BoardEvent, Delivery]]) -> None:
        await service.apply(db, [event for event, _ in batch])

    broker.subscribe_batches(
        "board",
        [HazardOpened, HazardAssigned, HazardTransitioned, HazardEscalated],
        on_hazard_events,
        max_batch=EVENT_BATCH,
        key=lambda event: event.hazard_id,
    )
