"""Consumers of the case service: reports open (or join) hazards, a batch at a time; registry
changes assign waiting ones; a merge tells the hazard merged into; an agency's disposition
joins the timeline."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_cases.deadlines.repository import PolicyBook
from services.hazard_cases.hazards import agency, arrivals, claims, linked, opening, repository
from services.hazard_cases.hazards.lifecycle import Action
from services.hazard_cases.places import handlers as places
from services.hazard_cases.places.cache import PlaceCopy
from shared.events import AgencyDispositionRecorded, HazardTransitioned, ReportSubmitted
from shared.messaging import Broker, Delivery
from shared.outbox import OutboxRelay

# Reports handled together: enough that a flood about one hazard costs a few writes per
# hundred, few enough that one batch stays well under a second. Up to REPORT_WINDOW wait in
# the process, shared fairly between places: a flood on one place takes one share of each
# batch, and the reports of other places behind it in the queue go on at once.
REPORT_BATCH = 200
REPORT_BATCH_WAIT_SECONDS = 0.02
REPORT_WINDOW = 4_000


def place_of(event: ReportSubmitted) -> str:
    """Return what a report's turn is shared by: its point and category (the reports that may
    join one hazard), or the report alone."""
    if event.point_id is None:
        return event.report_id
    return claims.key(event.point_id, event.category)


def subscribe(
    broker: Broker,
    db: AsyncDatabase[dict[str, Any]],
    relay: OutboxRelay,
    policies: PolicyBook,
    duplicate_window: timedelta,
) -> None:
    """Register the case service's handlers on `broker`."""
    copy = PlaceCopy(db)

    async def on_reports(batch: list[tuple[ReportSubmitted, Delivery]]) -> None:
        announced: set[str] = set()

        def announce(hazard_ids: set[str]) -> None:
            for hazard_id in hazard_ids - announced:
                relay.notify(repository.COLLECTION, hazard_id)
            announced.update(hazard_ids)

        # Insert-or-nothing on the report ids: a second delivery finds its hazard and stops.
        written = await arrivals.handle_reports(
            db, policies, copy, [event for event, _ in batch], duplicate_window, announce
        )
        announce(written.hazards)
        for report_id in written.linked:
            relay.notify(linked.COLLECTION, report_id)

    async def retry_waiting(point_id: str | None, grid_id: str | None) -> None:
        for hazard_id in await opening.assign_waiting(db, policies, copy, point_id, grid_id):
            relay.notify(repository.COLLECTION, hazard_id)

    async def on_transitioned(event: HazardTransitioned, delivery: Delivery) -> None:
        if event.action == Action.MERGE and event.merged_into:
            for report_id in await opening.record_merge(db, event):
                relay.notify(linked.COLLECTION, report_id)

    async def on_disposition(event: AgencyDispositionRecorded, delivery: Delivery) -> None:
        # Guarded by the disposition's id: a second delivery appends nothing.
        if await agency.record_disposition(db, event):
            relay.notify(repository.COLLECTION, event.hazard_id)

    broker.subscribe_batches(
        "open_hazards",
        [ReportSubmitted],
        on_reports,
        max_batch=REPORT_BATCH,
        max_wait_seconds=REPORT_BATCH_WAIT_SECONDS,
        key=place_of,
        window=REPORT_WINDOW,
    )
    broker.subscribe("merged_hazards", [HazardTransitioned], on_transitioned)
    broker.subscribe("agency_dispositions", [AgencyDispositionRecorded], on_disposition)
    places.subscribe(broker, db, copy, retry_waiting)
