"""Consumers of the case service: reports open hazards; registry changes assign waiting ones."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_cases.hazards import repository, service
from services.hazard_cases.places import repository as places
from shared.events import GridChanged, ReportSubmitted, RiskPointChanged
from shared.messaging import Broker, Delivery
from shared.outbox import OutboxRelay


def subscribe(broker: Broker, db: AsyncDatabase[dict[str, Any]], relay: OutboxRelay) -> None:
    """Register the case service's handlers on `broker`."""

    async def on_report_submitted(event: ReportSubmitted, delivery: Delivery) -> None:
        # Insert-or-nothing on the report id: a second delivery finds the hazard and stops.
        await service.open_from_report(db, event)
        relay.notify(repository.COLLECTION, event.report_id)

    async def on_point_changed(event: RiskPointChanged, delivery: Delivery) -> None:
        point = {
            "_id": event.point_id,
            "name": event.name,
            "category": event.category.value,
            "risk_grade": event.risk_grade.value,
            "grid_id": event.grid_id,
            "grid_path": event.grid_path,
            "school_name": event.school_name,
            "responsible": event.responsible.model_dump() if event.responsible else None,
            "escalation_chain": [link.model_dump() for link in event.escalation_chain],
            "version": event.version,
        }
        await places.store_if_newer(db, places.POINTS, point)
        current = await places.get(db, places.POINTS, event.point_id)
        for hazard_id in await service.assign_waiting_at_point(db, current or point):
            relay.notify(repository.COLLECTION, hazard_id)

    async def on_grid_changed(event: GridChanged, delivery: Delivery) -> None:
        grid = {
            "_id": event.grid_id,
            "name": event.name,
            "level": event.level.value,
            "grid_path": event.path,
            "head": event.head.model_dump() if event.head else None,
            "version": event.version,
        }
        await places.store_if_newer(db, places.GRIDS, grid)

    broker.subscribe("open_hazards", [ReportSubmitted], on_report_submitted)
    broker.subscribe("places_points", [RiskPointChanged], on_point_changed)
    broker.subscribe("places_grids", [GridChanged], on_grid_changed)
