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

EVENT_BATCH = 200


def subscribe(broker: Broker, db: AsyncDatabase[dict[str, Any]]) -> None:
    """Register the Open311 status handler on `broker`."""

    async def on_hazard_changes(batch: list[tuple[StatusEvent, Delivery]]) -> None:
        # Set-if-newer by the hazard's version: a redelivered or late event changes nothing.
        await repository.apply_statuses(db, [status_change(event) for event, _ in batch])

    async def on_reports_linked(batch: list[tuple[ReportLinked, Delivery]]) -> None:
        # The request of a report that joined an open hazard follows that hazard from now on.
        await repository.join_all(
            db, [(event.report_id, joined_change(event)) for event, _ in batch]
        )

    # Every hazard's events come here (to find the few filed through Open311): a burst of them
    # is read and written a batch at a time.
    broker.subscribe_batches(
        "open311_status",
        STATUS_EVENTS,
        on_hazard_changes,
        max_batch=EVENT_BATCH,
        key=lambda event: event.hazard_id,
    )
    broker.subscribe_batches(
        "open311_joined", [ReportLinked], on_reports_linked, max_batch=EVENT_BATCH
    )
