"""Agencies' answers (处置反馈) on a hazard's timeline.

An agency's disposition is appended once (a redelivered event finds its id recorded and changes
nothing) and changes neither the status, the assignee nor the deadlines: the school still
rectifies and verifies; the timeline shows what the police or the regulator did meanwhile.
"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_cases.hazards import repository
from services.hazard_cases.hazards.timeline import appended, entry
from shared.clock import utc_now
from shared.events import AgencyAnswerNoted, AgencyDispositionRecorded, PersonRef
from shared.ids import derived_id
from shared.outbox import push_outbox
from shared.vocabulary import AGENCY_KIND_LABELS, DISPOSITION_KIND_LABELS

Document = dict[str, Any]

ACTION = "agency_disposition"
# The ids of the dispositions already on a hazard's timeline.
IDS_FIELD = "agency_disposition_ids"


class HazardNotStoredYet(Exception):
    """A disposition names a hazard this service does not hold: retried, then parked."""


def notes(event: AgencyDispositionRecorded) -> tuple[str, str]:
    """Return the timeline's Chinese and English lines for a disposition."""
    kind_zh, kind_en = DISPOSITION_KIND_LABELS[event.kind]
    extra_zh = "，".join(
        part
        for part in (event.officer, f"编号 {event.reference}" if event.reference else None)
        if part
    )
    extra_en = ", ".join(
        part
        for part in (event.officer, f"ref. {event.reference}" if event.reference else None)
        if part
    )
    head_zh = f"{event.agency_name}：{kind_zh}" + (f"（{extra_zh}）" if extra_zh else "")
    head_en = f"{event.agency_name}: {kind_en}" + (f" ({extra_en})" if extra_en else "")
    return f"{head_zh} — {event.note}", f"{head_en} — {event.note}"


def disposition_entry(
    event: AgencyDispositionRecorded, responsible: PersonRef | None
) -> dict[str, Any]:
    """Return the timeline entry of a disposition (at the moment it was recorded)."""
    note_zh, note_en = notes(event)
    kind_zh, kind_en = DISPOSITION_KIND_LABELS[event.kind]
    agency_kind_zh, _ = AGENCY_KIND_LABELS[event.agency_kind]
    return entry(
        ACTION,
        note_zh,
        note_en,
        actor=event.recorded_by,
        responsible=responsible,
        at=event.occurred_at,
        details={
            "disposition_id": event.disposition_id,
            "agency_id": event.agency_id,
            "agency_name": event.agency_name,
            "agency_kind": event.agency_kind.value,
            "agency_kind_label_zh": agency_kind_zh,
            "kind": event.kind.value,
            "kind_label_zh": kind_zh,
            "kind_label_en": kind_en,
            "note": event.note,
            "officer": event.officer,
            "reference": event.reference,
            "acted_at": event.acted_at,
        },
    )


async def record_disposition(db: AsyncDatabase[Document], event: AgencyDispositionRecorded) -> bool:
    """Append the disposition to the hazard's timeline once; False if it was there already."""
    doc = await repository.get(db, event.hazard_id)
    if doc is None:
        raise HazardNotStoredYet(event.hazard_id)
    assignee = doc.get("assignee")
    responsible = PersonRef.model_validate(assignee) if assignee else None
    noted = AgencyAnswerNoted(
        event_id=derived_id("AgencyAnswerNoted", event.disposition_id),
        hazard_id=event.hazard_id,
        grid_path=doc["grid_path"],
        description=doc["description"],
        point_name=doc.get("point_name"),
        school_name=doc.get("school_name"),
        assignee=responsible,
        agency_name=event.agency_name,
        kind=event.kind,
        note=event.note,
        acted_at=event.acted_at,
    )
    update = {
        "$set": {"updated_at": utc_now()},
        "$inc": {"version": 1},
        "$push": {
            IDS_FIELD: event.disposition_id,
            "timeline": appended(disposition_entry(event, responsible)),
            # Whoever answers for the hazard hears of it (notifications).
            **push_outbox(noted)["$push"],
        },
    }
    return await repository.append_once(
        db, event.hazard_id, IDS_FIELD, event.disposition_id, update
    )
