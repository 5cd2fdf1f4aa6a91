"""A report that reuses an earlier report's id with another body is refused, and its reporter told.

A report's id comes from its reporter and Idempotency-Key, so two reports under one id are one
phone sending the same key twice. With the same body that is a retry, and the first delivery
already did all there is to do. With another body, the key was reused: intake answers that 422
when its key table still knows the key, but not when the reuse reached another replica or the
key was forgotten. Then it arrives here. It is not recorded (the id belongs to the first
report) and the hazard's outbox carries ReportKeyReused, so the reporter is told to send it
again as a new report instead of believing it arrived.
"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_cases.hazards import repository
from shared.events import ReportKeyReused, ReportSubmitted
from shared.ids import derived_id
from shared.outbox import push_outbox

Document = dict[str, Any]
REFUSED_FIELD = "refused_report_bodies"  # fingerprints refused on this hazard: each told once
MAX_REFUSED = 100  # the latest ones kept; an older one refused again is told again


async def refuse_if_reused(
    db: AsyncDatabase[Document], hazard: Document, event: ReportSubmitted
) -> str | None:
    """Refuse `event` if its id opened `hazard` before with another body; return the hazard id
    written, None for a plain redelivery or a refusal queued before."""
    if reused(first_fingerprint(hazard, event.report_id), event) and await refuse(
        db, hazard, event
    ):
        return str(hazard["_id"])
    return None


async def refuse_if_joined_reused(
    db: AsyncDatabase[Document], joined: Document, event: ReportSubmitted
) -> str | None:
    """Refuse `event` if its id joined a hazard before with another body (`joined` is that
    report's linked document); return the hazard id written, None otherwise."""
    if not reused(joined.get("fingerprint"), event):
        return None
    hazard = await repository.get(db, joined["hazard_id"])
    if hazard is not None and await refuse(db, hazard, event):
        return str(hazard["_id"])
    return None


def first_fingerprint(hazard: Document, report_id: str) -> str | None:
    """Return the body fingerprint stored for the report that opened `hazard`."""
    return hazard.get("report_fingerprint") if hazard["_id"] == report_id else None


def reused(first: str | None, event: ReportSubmitted) -> bool:
    """Return whether `event` carries another body than the report first stored under its id.

    Reports from before fingerprints were carried have none, and are taken as retries.
    """
    return first is not None and event.body_fingerprint not in (None, first)


async def refuse(db: AsyncDatabase[Document], hazard: Document, event: ReportSubmitted) -> bool:
    """Queue ReportKeyReused on the hazard the first report reached; False if queued before."""
    assert event.body_fingerprint is not None  # reused() checked
    refused = ReportKeyReused(
        event_id=derived_id("ReportKeyReused", event.report_id, event.body_fingerprint),
        report_id=event.report_id,
        hazard_id=hazard["_id"],
        grid_path=hazard["grid_path"],
        reporter=event.reporter,
        description=event.description,
        received_at=event.received_at,
    )
    update = {
        "$push": {
            REFUSED_FIELD: {"$each": [event.body_fingerprint], "$slice": -MAX_REFUSED},
            **push_outbox(refused)["$push"],
        }
    }
    return await repository.append_once(
        db, hazard["_id"], REFUSED_FIELD, event.body_fingerprint, update
    )
