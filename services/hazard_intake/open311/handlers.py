"""Keep the Open311 read model's statuses current from hazard_cases' events."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_intake.open311 import repository
from services.hazard_intake.open311.status import (
    STATUS_EVENTS,
    StatusEvent,
    joined_change,
    status_change,
)
from shared.events import ReportLinked
from shared.messaging import Broker, Delivery


def subscribe(broker: Broker, db: AsyncDatabase[dict[str, Any]]) -> None:
    """Register the Open311 status handler on `broker`."""

    async def on_hazard_changed(event: StatusEvent, delivery: Delivery) -> None:
        # Set-if-newer by the hazard's version: a redelivered or late event changes nothing.
        await repository.apply_status(db, status_change(event))

    async def on_report_linked(event: ReportLinked, delivery: Delivery) -> None:
        # The request of a report that joined an open hazard follows that hazard from now on.
        await repository.join(db, event.report_id, joined_change(event))

    broker.subscribe("open311_status", STATUS_EVENTS, on_hazard_changed)
    broker.subscribe("open311_joined", [ReportLinked], on_report_linked)
