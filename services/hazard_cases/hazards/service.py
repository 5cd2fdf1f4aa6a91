"""Reading hazards: one, or a page of those the caller may see."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_cases.hazards import lifecycle, linked, repository
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
        category_label_en=CATEGORY_LABELS[category][1],
        description=doc["description"],
        point_id=doc.get("point_id"),
        point_name=doc.get("point_name"),
        school_name=doc.get("school_name"),
        grid_id=doc["grid_id"],
        grid_name=doc.get("grid_name"),
        risk_grade=doc.get("risk_grade"),
        reporter=doc["reporter"],
        assignee=doc.get("assignee"),
        escalation_chain=doc.get("escalation_chain", []),
        verifier=lifecycle.verifier(doc) if status == HazardStatus.RECTIFIED else None,
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
        linked_reports=shown_joins(doc),
        linked_count=int(doc.get("linked_count", len(doc.get("linked_reports", [])))),
        linked_reporters_count=int(doc.get("linked_reporters_count", 0)),
        merged_into=doc.get("merged_into"),
        rejection_reason=doc.get("rejection_reason"),
        reopen_count=int(doc.get("reopen_count", 0)),
        flagged=bool(doc.get("flagged")),
        place_problem=doc.get("place_problem"),
        closed_at=doc.get("closed_at"),
        allowed_actions=allowed(status),
        updated_at=doc["updated_at"],
        version=doc["version"],
        timeline=sorted(
            [
                *(TimelineEntry.model_validate(entry) for entry in doc.get("timeline", [])),
                *_join_entries(doc),
            ],
            key=lambda entry: entry.at,
        ),
    )


def shown_joins(doc: Document) -> list[Document]:
    """Return the joined reports a hazard shows: the first and the latest few, oldest first
    (all of them while there are few; `GET …/linked-reports` lists every one)."""
    if "linked_first" not in doc:  # stored before joins had documents of their own
        legacy = doc.get("linked_reports", [])
        return [{k: v for k, v in r.items() if k != "fingerprint"} for r in legacy]
    seen: dict[str, Document] = {}
    for report in [*doc.get("linked_first", []), *doc.get("linked_latest", [])]:
        seen.setdefault(report["report_id"], report)
    return sorted(seen.values(), key=lambda report: report.get("received_at") or utc_now())


def _join_entries(doc: Document) -> list[TimelineEntry]:
    """Return the timeline entries of the joins shown (merges have their own entries), and one
    saying how many more joined between the first and the latest."""
    if "linked_first" not in doc:
        return []  # their entries were stored in the timeline then
    joined = [r for r in shown_joins(doc) if "merged_by" not in r]
    entries = [
        TimelineEntry(
            at=report["received_at"],
            action="report_linked",
            actor=report["reporter"],
            responsible=None,
            note_zh=f"{report['reporter']['name']} 再次上报同一隐患，已并入本隐患："
            f"{report['description']}",
            note_en=f"{report['reporter']['name']} reported the same hazard again; joined here",
            details={"report_id": report["report_id"]},
        )
        for report in joined
    ]
    merged = len(shown_joins(doc)) - len(joined)
    more = int(doc.get("linked_count", 0)) - len(joined) - merged
    if more > 0 and len(joined) >= 2:
        entries.append(
            TimelineEntry(
                at=joined[-2]["received_at"],
                action="reports_linked",
                actor=None,
                responsible=None,
                note_zh=f"另有 {more} 份重复上报并入本隐患",
                note_en=f"{more} more reports of the same hazard joined here",
                details={"count": more},
            )
        )
    return entries


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


async def joined_reports(
    *, db: AsyncDatabase[Document], principal: Principal, hazard_id: str, skip: int, limit: int
) -> list[Document]:
    """Return the reports joined to a hazard the caller may see, oldest first (404 otherwise)."""
    doc = await repository.get(db, hazard_id)
    if doc is None or not can_see(principal, doc):
        raise not_found("隐患", "Hazard")
    return [
        linked.shown(report) for report in await linked.page(db, hazard_id, skip=skip, limit=limit)
    ]


async def get_visible(
    *, db: AsyncDatabase[Document], principal: Principal, hazard_id: str
) -> HazardRead:
    """Return a hazard the caller may see (404 for anything else)."""
    doc = await repository.get(db, hazard_id)
    if doc is None or not can_see(principal, doc):
        raise not_found("隐患", "Hazard")
    return to_read(doc)
