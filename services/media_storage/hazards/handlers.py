"""Consumers that keep media storage's copy of each hazard current: steps that move its
assignee, and its referrals to agencies. (Opening, joining and acting on a hazard are heard
with the photos they carry: media/handlers.py.)"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.media_storage.hazards import service
from shared.events import HazardAssigned, HazardEscalated, HazardReferred
from shared.messaging import Broker, Delivery

# Every new hazard is assigned at once: a burst of openings is a burst of these.
EVENT_BATCH = 200


def subscribe(broker: Broker, db: AsyncDatabase[dict[str, Any]]) -> None:
    """Register the hazard-copy handlers on `broker`."""

    async def on_assignees(batch: list[tuple[HazardAssigned | HazardEscalated, Delivery]]) -> None:
        # Version-guarded: a redelivered or late step never overwrites a newer one.
        await service.record(db, [event for event, _ in batch])

    async def on_referral(event: HazardReferred, delivery: Delivery) -> None:
        # Insert-once per hazard and agency: a redelivery adds nothing.
        await service.record_referral(db, event)

    broker.subscribe_batches(
        "hazard_assignees",
        [HazardAssigned, HazardEscalated],
        on_assignees,
        max_batch=EVENT_BATCH,
        key=lambda event: event.hazard_id,
    )
    broker.subscribe("hazard_referrals", [HazardReferred], on_referral)
