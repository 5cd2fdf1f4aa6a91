"""Keeping media storage's copy of each hazard (repository.py) current from the events that
change who may see it: opened (reporter), assigned, acted on or escalated (assignee, by
version), joined by another report (a joined reporter), referred to an agency. The events of a
burst arrive in batches, each written in a few commands."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.media_storage.hazards import repository
from shared.events import (
    HazardAssigned,
    HazardEscalated,
    HazardOpened,
    HazardReferred,
    HazardTransitioned,
    ReportLinked,
)

Document = dict[str, Any]


CopyEvent = HazardOpened | ReportLinked | HazardTransitioned | HazardAssigned | HazardEscalated


async def record(db: AsyncDatabase[Document], events: Sequence[CopyEvent]) -> None:
    """Record what a batch of events says about their hazards: where each lies, who reported
    it, who must rectify it as of the newest step, who joined it with a report of their own."""
    changes = repository.CopyChanges()
    for event in events:
        if isinstance(event, ReportLinked):
            # A report that joined (or a hazard merged into this one): its reporter may see it.
            changes.note_facts(event.hazard_id, event.grid_path, None)
            changes.add_joined(event.hazard_id, event.reporter.person_id)
            continue
        reporter = (
            event.reporter.person_id
            if isinstance(event, HazardOpened | HazardTransitioned)
            else None
        )
        changes.note_facts(event.hazard_id, event.grid_path, reporter)
        # Opened: nobody is assigned as of its version.
        assignee = (
            None
            if isinstance(event, HazardOpened) or event.assignee is None
            else event.assignee.person_id
        )
        changes.set_assignee(event.hazard_id, event.version, assignee)
    await repository.apply(db, changes)


async def record_referral(db: AsyncDatabase[Document], event: HazardReferred) -> None:
    """Record that a hazard was referred to an agency."""
    await repository.add_referral(
        db, hazard_id=event.hazard_id, agency_id=event.agency_id, grid_path=event.grid_path
    )
