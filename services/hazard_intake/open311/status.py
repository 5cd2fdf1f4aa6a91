"""A hazard's status in Open311 terms (open/closed and a note), and which events change it.

To follow a new status event of hazard_cases, add its class to STATUS_EVENTS: every event
there carries `hazard_id`, `status` and `version`, and `open311_status` maps any HazardStatus.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.events import (
    HazardAssigned,
    HazardEscalated,
    HazardOpened,
    HazardTransitioned,
    ReportLinked,
)
from shared.vocabulary import HAZARD_STATUS_LABELS, HazardStatus

OPEN = "open"
CLOSED = "closed"

# A hazard in one of these has left the loop: done, refused, or folded into another.
_CLOSED_STATUSES = frozenset({HazardStatus.CLOSED, HazardStatus.REJECTED, HazardStatus.MERGED})

StatusEvent = HazardOpened | HazardAssigned | HazardTransitioned | HazardEscalated
STATUS_EVENTS: tuple[type[StatusEvent], ...] = (
    HazardOpened,
    HazardAssigned,
    HazardTransitioned,
    HazardEscalated,
)


@dataclass(frozen=True)
class Open311Status:
    """What GeoReport v2 shows of a hazard's status."""

    status: str  # "open" or "closed"
    status_notes: str  # Chinese / English label of the hazard's own status


@dataclass(frozen=True)
class StatusChange:
    """What one hazard event changes in the request it came from."""

    hazard_id: str
    hazard_status: HazardStatus
    version: int
    at: datetime
    shown: Open311Status
    agency_responsible: str | None = None


def open311_status(status: HazardStatus) -> Open311Status:
    """Map a hazard's status to Open311's open/closed with a bilingual note."""
    zh, en = HAZARD_STATUS_LABELS[status]
    return Open311Status(
        status=CLOSED if status in _CLOSED_STATUSES else OPEN, status_notes=f"{zh} / {en}"
    )


def joined_change(event: ReportLinked) -> StatusChange:
    """Return what a report joining an open hazard changes in the request it came from: it
    shows that hazard's status from now on, and says it was joined."""
    shown = open311_status(event.hazard_status)
    return StatusChange(
        hazard_id=event.hazard_id,
        hazard_status=event.hazard_status,
        version=event.version,
        at=event.occurred_at,
        shown=Open311Status(
            status=shown.status,
            status_notes=f"已并入同一隐患 / Joined the same hazard: {shown.status_notes}",
        ),
    )


def status_change(event: StatusEvent) -> StatusChange:
    """Return what `event` changes in the Open311 view of its hazard."""
    return StatusChange(
        hazard_id=event.hazard_id,
        hazard_status=event.status,
        version=event.version,
        at=event.occurred_at,
        shown=open311_status(event.status),
        # Opened names the school: the body that answers for the hazard.
        agency_responsible=event.school_name if isinstance(event, HazardOpened) else None,
    )
