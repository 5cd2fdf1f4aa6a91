"""Consumers of the notification service."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.notifications.inbox import service
from shared.events import (
    AgencyAnswerNoted,
    HazardAssigned,
    HazardEscalated,
    HazardTransitioned,
    ReportKeyReused,
    ReportLinked,
)
from shared.messaging import Broker, Delivery

EVENT_BATCH = 200


def subscribe(broker: Broker, db: AsyncDatabase[dict[str, Any]]) -> None:
    """Register the notification handlers on `broker`."""

    async def on_hazards_assigned(batch: list[tuple[HazardAssigned, Delivery]]) -> None:
        await service.deliver(db, [service.assignee_notice(event) for event, _ in batch])

    async def on_hazard_escalated(event: HazardEscalated, delivery: Delivery) -> None:
        await service.notify_escalated(db, event)

    async def on_hazard_step(event: HazardTransitioned, delivery: Delivery) -> None:
        await service.notify_step(db, event)

    async def on_reports_linked(batch: list[tuple[ReportLinked, Delivery]]) -> None:
        events = [event for event, _ in batch]
        again = [service.reported_again_notice(event) for event in events]
        notices = [service.linked_notice(event) for event in events]
        await service.deliver(db, notices + [notice for notice in again if notice is not None])

    # Every new hazard is assigned, and a flood of reports on one place is a flood of joins:
    # their notices are stored a batch at a time, one command each.
    broker.subscribe_batches(
        "hazard_assigned", [HazardAssigned], on_hazards_assigned, max_batch=EVENT_BATCH
    )
    broker.subscribe("hazard_escalated", [HazardEscalated], on_hazard_escalated)
    broker.subscribe("hazard_steps", [HazardTransitioned], on_hazard_step)

    async def on_agency_answer(event: AgencyAnswerNoted, delivery: Delivery) -> None:
        await service.notify_agency_answer(db, event)

    async def on_key_reused(event: ReportKeyReused, delivery: Delivery) -> None:
        await service.notify_key_reused(db, event)

    broker.subscribe_batches(
        "report_linked", [ReportLinked], on_reports_linked, max_batch=EVENT_BATCH
    )
    broker.subscribe("report_key_reused", [ReportKeyReused], on_key_reused)
    broker.subscribe("agency_answers", [AgencyAnswerNoted], on_agency_answer)
