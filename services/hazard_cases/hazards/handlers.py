"""Consumers of the case service: a report opens (or joins) a hazard; registry changes assign
waiting ones; a merge tells the hazard merged into; an agency's disposition joins the timeline."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_cases.deadlines.repository import PolicyBook
from services.hazard_cases.hazards import agency, opening, repository
from services.hazard_cases.hazards.lifecycle import Action
from services.hazard_cases.places import handlers as places
from shared.events import AgencyDispositionRecorded, HazardTransitioned, ReportSubmitted
from shared.messaging import Broker, Delivery
from shared.outbox import OutboxRelay


def subscribe(
    broker: Broker,
    db: AsyncDatabase[dict[str, Any]],
    relay: OutboxRelay,
    policies: PolicyBook,
    duplicate_window: timedelta,
) -> None:
    """Register the case service's handlers on `broker`."""

    async def on_report_submitted(event: ReportSubmitted, delivery: Delivery) -> None:
        # Insert-or-nothing on the report id: a second delivery finds the hazard and stops.
        written = await opening.handle_report(db, policies, event, duplicate_window)
        if written is not None:
            relay.notify(repository.COLLECTION, written)

    async def retry_waiting(point_id: str | None, grid_id: str | None) -> None:
        for hazard_id in await opening.assign_waiting(db, policies, point_id, grid_id):
            relay.notify(repository.COLLECTION, hazard_id)

    async def on_transitioned(event: HazardTransitioned, delivery: Delivery) -> None:
        if event.action == Action.MERGE and event.merged_into:
            await opening.record_merge(db, event)

    async def on_disposition(event: AgencyDispositionRecorded, delivery: Delivery) -> None:
        # Guarded by the disposition's id: a second delivery appends nothing.
        if await agency.record_disposition(db, event):
            relay.notify(repository.COLLECTION, event.hazard_id)

    broker.subscribe("open_hazards", [ReportSubmitted], on_report_submitted)
    broker.subscribe("merged_hazards", [HazardTransitioned], on_transitioned)
    broker.subscribe("agency_dispositions", [AgencyDispositionRecorded], on_disposition)
    places.subscribe(broker, db, retry_waiting)
