"""Reading hazards: one, or a page of those the caller may see."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_cases.hazards import repository
from services.hazard_cases.hazards.lifecycle import DEADLINE_RUNS, allowed
from services.hazard_cases.hazards.models import HazardRead, TimelineEntry
from services.hazard_cases.hazards.visibility import can_see, visibility_filter
from shared.auth import Principal
from shared.clock import utc_now
from shared.errors import not_found
from shared.vocabulary import (
    CATEGORY_LABELS,
    HAZARD_STATUS_LABELS,
    HazardCategory,
    HazardStatus,
)

Document = dict[str, Any]


def to_read(doc: Document) -> HazardRead:
    """Shape a hazard document for clients."""
    status = HazardStatus(doc["status"])
    category = HazardCategory(doc["category"])
    rectification = doc.get("rectification") or {}
    rectify_by = doc.get("rectify_by")
    return HazardRead(
        hazard_id=doc["_id"],
        status=status,
        status_label_zh=HAZARD_STATUS_LABELS[status][0],
        category=category,
        category_label_zh=CATEGORY_LABELS[category][0],
        description=doc["description"],
        point_id=doc.get("point_id"),
        point_name=doc.get("point_name"),
        school_name=doc.get("school_name"),
        grid_id=doc["grid_id"],
        risk_grade=doc.get("risk_grade"),
        reporter=doc["reporter"],
        assignee=doc.get("assignee"),
        escalation_chain=doc.get("escalation_chain", []),
        photo_ids=doc.get("photo_ids", []),
        rectification_photo_ids=rectification.get("photo_ids", []),
        rectification_note=rectification.get("note"),
        reported_at=doc["reported_at"],
        rectify_by=rectify_by,
        accept_by=None if doc.get("accepted_at") else doc.get("accept_by"),
        overdue=status in DEADLINE_RUNS and rectify_by is not None and rectify_by <= utc_now(),
        major=bool(doc.get("major")),
        escalation_level=int(doc.get("escalation_level", 0)),
        escalated_to=doc.get("escalated_to"),
        interim_measures=doc.get("interim_measures"),
        extension_request=doc.get("extension_request"),
        # The body's hash is kept to spot a reused key (key_reuse.py), not shown.
        linked_reports=[
            {k: v for k, v in report.items() if k != "fingerprint"}
            for report in doc.get("linked_reports", [])
        ],
        merged_into=doc.get("merged_into"),
        rejection_reason=doc.get("rejection_reason"),
        reopen_count=int(doc.get("reopen_count", 0)),
        flagged=bool(doc.get("flagged")),
        place_problem=doc.get("place_problem"),
        closed_at=doc.get("closed_at"),
        allowed_actions=allowed(status),
        updated_at=doc["updated_at"],
        version=doc["version"],
        timeline=[TimelineEntry.model_validate(entry) for entry in doc.get("timeline", [])],
    )


async def list_visible(
    *,
    db: AsyncDatabase[Document],
    principal: Principal,
    status: HazardStatus | None,
    skip: int,
    limit: int,
    flagged: bool | None = None,
) -> tuple[list[HazardRead], int]:
    """Return one page of the hazards the caller may see."""
    query = visibility_filter(principal)
    if status is not None:
        query = {"$and": [query, {"status": status.value}]}
    if flagged is not None:
        query = {"$and": [query, {"flagged": True} if flagged else {"flagged": {"$ne": True}}]}
    docs, total = await repository.page(db, query, skip=skip, limit=limit)
    return [to_read(doc) for doc in docs], total


async def get_visible(
    *, db: AsyncDatabase[Document], principal: Principal, hazard_id: str
) -> HazardRead:
    """Return a hazard the caller may see (404 for anything else)."""
    doc = await repository.get(db, hazard_id)
    if doc is None or not can_see(principal, doc):
        raise not_found("隐患", "Hazard")
    return to_read(doc)
