"""Keeping media storage's copy of each hazard (repository.py) current from the events that
change who may see it: opened (reporter), assigned, acted on or escalated (assignee, by
version), joined by another report (a joined reporter), referred to an agency."""

from __future__ import annotations

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


async def record_opened(db: AsyncDatabase[Document], event: HazardOpened) -> None:
    """Record a new hazard: where it lies, who reported it, and nobody assigned as of it."""
    await repository.note_facts(
        db, event.hazard_id, grid_path=event.grid_path, reporter_id=event.reporter.person_id
    )
    await repository.set_assignee(db, event.hazard_id, assignee_id=None, version=event.version)


async def record_step(
    db: AsyncDatabase[Document], event: HazardTransitioned | HazardAssigned | HazardEscalated
) -> None:
    """Record who must rectify a hazard after a step, unless a newer step is known."""
    reporter = event.reporter.person_id if isinstance(event, HazardTransitioned) else None
    await repository.note_facts(
        db, event.hazard_id, grid_path=event.grid_path, reporter_id=reporter
    )
    assignee = event.assignee.person_id if event.assignee else None
    await repository.set_assignee(db, event.hazard_id, assignee_id=assignee, version=event.version)


async def record_linked(db: AsyncDatabase[Document], event: ReportLinked) -> None:
    """Record the reporter of a report that joined a hazard (or of a hazard merged into it)."""
    await repository.add_joined_reporter(
        db, event.hazard_id, grid_path=event.grid_path, person_id=event.reporter.person_id
    )


async def record_referral(db: AsyncDatabase[Document], event: HazardReferred) -> None:
    """Record that a hazard was referred to an agency."""
    await repository.add_referral(
        db, hazard_id=event.hazard_id, agency_id=event.agency_id, grid_path=event.grid_path
    )
