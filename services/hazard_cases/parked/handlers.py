"""The case service watches every parked message in the platform."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_cases.parked import service
from shared.messaging import Broker, ParkedMessage


def subscribe(broker: Broker, db: AsyncDatabase[dict[str, Any]]) -> None:
    """Register the parked-message watcher on `broker`."""

    async def on_parked(parked: ParkedMessage) -> None:
        await service.keep(db, parked)

    broker.watch_parked("parked_messages", on_parked)
