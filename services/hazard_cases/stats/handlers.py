"""Keep the figures current: every change of a hazard refreshes its fact (idempotent)."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_cases.stats import service
from shared.events import HazardAssigned, HazardOpened, HazardTransitioned
from shared.messaging import Broker, Delivery

FigureEvent = HazardOpened | HazardAssigned | HazardTransitioned


def subscribe(broker: Broker, db: AsyncDatabase[dict[str, Any]]) -> None:
    """Register the figures' handler on `broker`."""

    async def on_hazard_changed(event: FigureEvent, delivery: Delivery) -> None:
        # Reads the hazard as it is now: a late or repeated event only confirms it.
        await service.refresh(db, event.hazard_id)

    broker.subscribe(
        "figures", [HazardOpened, HazardAssigned, HazardTransitioned], on_hazard_changed
    )
