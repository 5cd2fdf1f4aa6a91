"""The case service watches every parked message in the platform."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_cases.parked import repository, service
from shared.messaging import Broker, ParkedMessage
from shared.observability.metrics import ServiceMetrics
from shared.outbox import OutboxRelay


def subscribe(
    broker: Broker, db: AsyncDatabase[dict[str, Any]], relay: OutboxRelay, metrics: ServiceMetrics
) -> None:
    """Register the parked-message watcher on `broker`."""
    parked_total = metrics.counter(
        "parked_messages_total",
        "Messages a service gave up on (parked again after a failed replay counts again)",
        ["service"],
    )

    async def on_parked(parked: ParkedMessage) -> None:
        parked_id = await service.keep(db, parked)
        if parked_id is not None:
            parked_total.labels(parked.service).inc()
            relay.notify(repository.COLLECTION, parked_id)

    broker.watch_parked("parked_messages", on_parked)
