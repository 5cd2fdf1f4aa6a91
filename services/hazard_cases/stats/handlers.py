"""Keep the figures current: every change of a hazard marks it; the marked are refreshed in
batches (stats/service.py keep_current), so a burst of reports costs one roll-up per school."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_cases.stats import repository
from shared.clock import utc_now
from shared.events import HazardAssigned, HazardOpened, HazardTransitioned
from shared.messaging import Broker, Delivery

FigureEvent = HazardOpened | HazardAssigned | HazardTransitioned


def subscribe(broker: Broker, db: AsyncDatabase[dict[str, Any]]) -> None:
    """Register the figures' handler on `broker`."""

    async def on_hazards_changed(batch: list[tuple[FigureEvent, Delivery]]) -> None:
        # The refresh reads the hazard as it is then: a late or repeated event only re-marks it.
        await repository.mark(db, [event.hazard_id for event, _ in batch], utc_now())

    broker.subscribe_batches(
        "figures", [HazardOpened, HazardAssigned, HazardTransitioned], on_hazards_changed
    )
