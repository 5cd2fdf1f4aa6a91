"""Consumers of the agency service."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.agency_integration.deliveries import service
from services.agency_integration.referrals import repository as referral_documents
from services.agency_integration.referrals import service as referrals
from shared.events import HazardOpened
from shared.messaging import Broker, Delivery
from shared.outbox import OutboxRelay

# Every new hazard comes here: a burst of openings is read and written a batch at a time.
EVENT_BATCH = 200


def subscribe(broker: Broker, db: AsyncDatabase[dict[str, Any]], relay: OutboxRelay) -> None:
    """Register the agency handlers on `broker`."""

    async def on_hazards_opened(batch: list[tuple[HazardOpened, Delivery]]) -> None:
        # Both writes are insert-once on derived ids: a redelivery completes what was cut off
        # (a referral's HazardReferred waits in its outbox until the relay or sweep sends it).
        events = [event for event, _ in batch]
        for referral_id in await referrals.refer_hazards(db, events):
            relay.notify(referral_documents.COLLECTION, referral_id)
        await service.enqueue_for_hazards(db, events)

    broker.subscribe_batches(
        "hazard_opened", [HazardOpened], on_hazards_opened, max_batch=EVENT_BATCH
    )
