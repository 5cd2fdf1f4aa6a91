"""The events a hazard's changes announce, built from the hazard document as it will be."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.hazard_cases.hazards import lifecycle
from services.hazard_cases.hazards.escalation import Step
from services.hazard_cases.hazards.lifecycle import Action
from shared.events import Event, HazardAssigned, HazardEscalated, HazardTransitioned, PersonRef
from shared.vocabulary import HazardStatus

Document = Mapping[str, Any]


def _person(value: Any) -> PersonRef | None:
    return PersonRef.model_validate(value) if value else None


def _facts(doc: Document) -> dict[str, Any]:
    return {
        "hazard_id": doc["_id"],
        "grid_path": doc["grid_path"],
        "category": doc["category"],
        "risk_grade": doc.get("risk_grade"),
        "description": doc["description"],
        "point_name": doc.get("point_name"),
        "school_name": doc.get("school_name"),
    }


def transitioned(
    doc: Document, action: Action, before: HazardStatus, actor: PersonRef, note: str | None
) -> list[Event]:
    """Return the events of an action; `doc` is the hazard after it (new version)."""
    events: list[Event] = [
        HazardTransitioned(
            **_facts(doc),
            action=action.value,
            from_status=before,
            status=HazardStatus(doc["status"]),
            actor=actor,
            assignee=_person(doc.get("assignee")),
            reporter=PersonRef.model_validate(doc["reporter"]),
            rectify_by=doc.get("rectify_by"),
            note=note,
            merged_into=doc.get("merged_into"),
            verifier=_person(lifecycle.verifier(doc))
            if doc["status"] == HazardStatus.RECTIFIED.value
            else None,
            photo_ids=tuple((doc.get("rectification") or {}).get("photo_ids", []))
            if action == Action.SUBMIT_RECTIFICATION
            else (),
            version=doc["version"],
        )
    ]
    if action == Action.ASSIGN and doc.get("assignee"):
        events.append(
            HazardAssigned(
                hazard_id=doc["_id"],
                grid_path=doc["grid_path"],
                category=doc["category"],
                description=doc["description"],
                point_name=doc.get("point_name"),
                school_name=doc.get("school_name"),
                grid_name=doc.get("grid_name"),
                assignee=PersonRef.model_validate(doc["assignee"]),
                assigned_by=actor.person_id,
                status=HazardStatus(doc["status"]),
                version=doc["version"],
            )
        )
    return events


def escalated(doc: Document, step: Step, escalated_to: PersonRef) -> HazardEscalated:
    """Return the event of one escalation; `doc` is the hazard after it (new version)."""
    return HazardEscalated(
        **_facts(doc),
        level=step.level,
        escalated_to=escalated_to,
        reason=step.reason.value,
        due_at=step.due_at,
        assignee=_person(doc.get("assignee")),
        status=HazardStatus(doc["status"]),
        rectify_by=doc.get("rectify_by"),
        version=doc["version"],
    )
