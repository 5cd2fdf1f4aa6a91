"""Keep intake's copy of places current from the registry's events."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_intake.places import repository
from services.hazard_intake.places.cache import PlaceCache
from shared.events import GridChanged, RiskPointChanged
from shared.messaging import Broker, Delivery


def subscribe(broker: Broker, db: AsyncDatabase[dict[str, Any]], cache: PlaceCache) -> None:
    """Register the place handlers on `broker`."""

    async def on_point_changed(event: RiskPointChanged, delivery: Delivery) -> None:
        await repository.store_if_newer(
            db,
            repository.POINTS,
            {
                "_id": event.point_id,
                "grid_id": event.grid_id,
                "grid_path": event.grid_path,
                "name": event.name,
                "version": event.version,
            },
        )
        cache.forget(repository.POINTS, event.point_id)

    async def on_grid_changed(event: GridChanged, delivery: Delivery) -> None:
        await repository.store_if_newer(
            db,
            repository.GRIDS,
            {
                "_id": event.grid_id,
                "grid_id": event.grid_id,
                "grid_path": event.path,
                "name": event.name,
                "version": event.version,
            },
        )
        cache.forget(repository.GRIDS, event.grid_id)

    broker.subscribe("places_points", [RiskPointChanged], on_point_changed)
    broker.subscribe("places_grids", [GridChanged], on_grid_changed)
