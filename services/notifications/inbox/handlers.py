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


def subscribe(broker: Broker, db: AsyncDatabase[dict[str, Any]]) -> None:
    """Register the notification handlers on `broker`."""

    async def on_hazard_assigned(event: HazardAssigned, delivery: Delivery) -> None:
        await service.notify_assignee(db, event)

    async def on_hazard_escalated(event: HazardEscalated, delivery: Delivery) -> None:
        await service.notify_escalated(db, event)

    async def on_hazard_step(event: HazardTransitioned, delivery: Delivery) -> None:
        await service.notify_step(db, event)

    async def on_report_linked(event: ReportLinked, delivery: Delivery) -> None:
        await service.notify_linked(db, event)

    broker.subscribe("hazard_assigned", [HazardAssigned], on_hazard_assigned)
    broker.subscribe("hazard_escalated", [HazardEscalated], on_hazard_escalated)
    broker.subscribe("hazard_steps", [HazardTransitioned], on_hazard_step)

    async def on_agency_answer(event: AgencyAnswerNoted, delivery: Delivery) -> None:
        await service.notify_agency_answer(db, event)

    async def on_key_reused(event: ReportKeyReused, delivery: Delivery) -> None:
        await service.notify_key_reused(db, event)

    broker.subscribe("report_linked", [ReportLinked], on_report_linked)
    broker.subscribe("report_key_reused", [ReportKeyReused], on_key_reused)
    broker.subscribe("agency_answers", [AgencyAnswerNoted], on_agency_answer)
