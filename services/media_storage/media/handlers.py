"""Consumers of media storage: a report that opened or joined a hazard, or a rectification,
makes its photos visible in its grid."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.media_storage.media import service
from shared.events import HazardOpened, HazardTransitioned, ReportLinked
from shared.messaging import Broker, Delivery


def subscribe(broker: Broker, db: AsyncDatabase[dict[str, Any]]) -> None:
    """Register media storage's handlers on `broker`."""

    async def on_report_filed(event: HazardOpened | ReportLinked, delivery: Delivery) -> None:
        # Setting the same report fields again changes nothing: redelivery is harmless.
        if event.photo_ids:
            await service.attach_report(db, event)

    async def on_hazard_step(event: HazardTransitioned, delivery: Delivery) -> None:
        if event.photo_ids:
            await service.attach_evidence(db, event)

    broker.subscribe("attach_reports", [HazardOpened, ReportLinked], on_report_filed)
    broker.subscribe("attach_evidence", [HazardTransitioned], on_hazard_step)
