"""Copy media storage's verdicts on rectification photos, so a rectification naming a photo
that does not exist, is someone else's or failed the checks is refused at once (service.py)."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_cases.evidence import repository
from shared.events import MediaRejected, MediaStored
from shared.messaging import Broker, Delivery

RECTIFICATION = "rectification"


def subscribe(broker: Broker, db: AsyncDatabase[dict[str, Any]]) -> None:
    """Register the handler that copies rectification photos' verdicts."""

    async def on_verdicts(batch: list[tuple[MediaStored | MediaRejected, Delivery]]) -> None:
        verdicts = [
            repository.verdict(
                event.media_id,
                event.owner_id,
                event.reason if isinstance(event, MediaRejected) else None,
            )
            for event, _ in batch
            if event.purpose == RECTIFICATION
        ]
        await repository.record(db, verdicts)

    broker.subscribe_batches("evidence_photos", [MediaStored, MediaRejected], on_verdicts)
