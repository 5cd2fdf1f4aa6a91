"""Consumers that keep media storage's copy of each hazard current: steps that move its
assignee, and its referrals to agencies. (Opening, joining and acting on a hazard are heard
with the photos they carry: media/handlers.py.)"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.media_storage.hazards import service
from shared.events import HazardAssigned, HazardEscalated, HazardReferred
from shared.messaging import Broker, Delivery


def subscribe(broker: Broker, db: AsyncDatabase[dict[str, Any]]) -> None:
    """Register the hazard-copy handlers on `broker`."""

    async def on_assignee(event: HazardAssigned | HazardEscalated, delivery: Delivery) -> None:
        # Version-guarded: a redelivered or late step never overwrites a newer one.
        await service.record_step(db, event)

    async def on_referral(event: HazardReferred, delivery: Delivery) -> None:
        # Insert-once per hazard and agency: a redelivery adds nothing.
        await service.record_referral(db, event)

    broker.subscribe("hazard_assignees", [HazardAssigned, HazardEscalated], on_assignee)
    broker.subscribe("hazard_referrals", [HazardReferred], on_referral)
