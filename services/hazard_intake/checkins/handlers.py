"""Keep check-ins' copy of the registry's points (check lists, QR digests) and grids current."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_intake.checkins import repository
from shared.events import Event, GridChanged, RiskPointChanged
from shared.messaging import Broker, Delivery


def subscribe(broker: Broker, db: AsyncDatabase[dict[str, Any]]) -> None:
    """Register the handler of the registry's changes on `broker` (idempotent: newest wins)."""

    async def on_registry_change(event: Event, delivery: Delivery) -> None:
        if isinstance(event, RiskPointChanged):
            if event.qr_token_sha256:
                # The link first: a point announcing a digest can then always be reached by it.
                await repository.remember_token(db, event.qr_token_sha256, event.point_id)
            await repository.store_point(
                db,
                {
                    "_id": event.point_id,
                    "name": event.name,
                    "grid_id": event.grid_id,
                    "grid_path": event.grid_path,
                    "check_items": list(event.check_items),
                    "qr_token_sha256": event.qr_token_sha256,
                    "version": event.version,
                },
            )
        elif isinstance(event, GridChanged):
            await repository.store_grid(
                db,
                {
                    "_id": event.grid_id,
                    "name": event.name,
                    "level": event.level.value,
                    "path": event.path,
                    "version": event.version,
                },
            )

    broker.subscribe("checkins_places", [RiskPointChanged, GridChanged], on_registry_change)
