"""Consumers of the case service: a report opens a hazard; registry changes assign waiting ones."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_cases.hazards import repository, service
from services.hazard_cases.places import handlers as places
from shared.events import ReportSubmitted
from shared.messaging import Broker, Delivery
from shared.outbox import OutboxRelay


def subscribe(broker: Broker, db: AsyncDatabase[dict[str, Any]], relay: OutboxRelay) -> None:
    """Register the case service's handlers on `broker`."""

    async def on_report_submitted(event: ReportSubmitted, delivery: Delivery) -> None:
        # Insert-or-nothing on the report id: a second delivery finds the hazard and stops.
        await service.open_from_report(db, event)
        relay.notify(repository.COLLECTION, event.report_id)

    async def retry_waiting(point_id: str | None, grid_id: str | None) -> None:
        for hazard_id in await service.assign_waiting(db, point_id, grid_id):
            relay.notify(repository.COLLECTION, hazard_id)

    broker.subscribe("open_hazards", [ReportSubmitted], on_report_submitted)
    places.subscribe(broker, db, retry_waiting)
