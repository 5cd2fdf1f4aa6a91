"""Consumers of media storage: a report that opened or joined a hazard, or a rectification,
attaches its photos to that hazard, and tells media storage's copy of the hazard (hazards/)
who reported, joined or must rectify it.

The queue names predate the copy and are kept: a queue renamed would leave the old one bound
and filling on the broker.
"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.media_storage.hazards import service as hazards
from services.media_storage.media import service
from shared.events import HazardOpened, HazardTransitioned, ReportLinked
from shared.messaging import Broker, Delivery

# A burst of reports (a holiday's start) is a burst of openings and joins: their copies are
# written a batch at a time, a few commands each, instead of several commands per event.
EVENT_BATCH = 200


def subscribe(broker: Broker, db: AsyncDatabase[dict[str, Any]]) -> None:
    """Register media storage's handlers on `broker`."""

    async def on_reports_filed(batch: list[tuple[HazardOpened | ReportLinked, Delivery]]) -> None:
        # Each write sets the same values again on redelivery: it changes nothing.
        events = [event for event, _ in batch]
        await hazards.record(db, events)
        for event in events:
            if event.photo_ids:
                await service.attach_report(db, event)

    async def on_hazard_step(event: HazardTransitioned, delivery: Delivery) -> None:
        await hazards.record(db, [event])
        if event.photo_ids:
            await service.attach_evidence(db, event)

    broker.subscribe_batches(
        "attach_reports",
        [HazardOpened, ReportLinked],
        on_reports_filed,
        max_batch=EVENT_BATCH,
        key=lambda event: event.hazard_id,
    )
    broker.subscribe("attach_evidence", [HazardTransitioned], on_hazard_step)
