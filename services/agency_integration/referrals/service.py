"""Referring new hazards to the agencies they concern, and recording the agencies' answers.

Every agency a hazard concerns gets a referral, whether it takes webhooks or reads its feed.
A referral is what lets an agency answer: a hazard never referred to the caller's agency is
404, like anything out of scope.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.agency_integration.agencies import repository as agencies
from services.agency_integration.agencies.service import concerns
from services.agency_integration.referrals import repository
from services.agency_integration.referrals.models import (
    DispositionCreate,
    DispositionList,
    DispositionRead,
    ReferralPage,
    ReferralRead,
)
from shared.auth import Principal, scope_filter
from shared.clock import utc_now
from shared.errors import ApiError, field_error, not_found
from shared.events import AgencyDispositionRecorded, HazardOpened, HazardReferred, PersonRef
from shared.ids import derived_id, new_id
from shared.outbox import new_outbox
from shared.vocabulary import (
    CATEGORY_LABELS,
    DISPOSITION_KIND_LABELS,
    DispositionKind,
    HazardCategory,
    Role,
)

Document = dict[str, Any]

# Agencies' clocks drift a little; further ahead is a wrong clock or a typed date.
MAX_CLOCK_AHEAD = timedelta(minutes=5)


async def refer_hazards(db: AsyncDatabase[Document], events: Sequence[HazardOpened]) -> list[str]:
    """Refer new hazards to every agency each concerns, each referral with its HazardReferred
    in its outbox, in one read of the agencies and one insert; return the new referrals' ids."""
    known = await agencies.subscribed_to(db, {event.category.value for event in events})
    docs = []
    now = utc_now()
    for event in events:
        for agency in known:
            if not concerns(agency, event.category.value, event.grid_path):
                continue
            referral_id = repository.referral_id(agency["_id"], event.hazard_id)
            referred = HazardReferred(
                event_id=derived_id("HazardReferred", referral_id),
                referral_id=referral_id,
                hazard_id=event.hazard_id,
                agency_id=agency["_id"],
                grid_path=event.grid_path,
            )
            docs.append(
                {
                    "_id": referral_id,
                    "agency_id": agency["_id"],
                    "agency_name": agency["name"],
                    "agency_kind": agency["kind"],
                    "hazard_id": event.hazard_id,
                    "grid_path": event.grid_path,
                    "category": event.category.value,
                    "description": event.description,
                    "school_name": event.school_name,
                    "point_name": event.point_name,
                    "grid_name": event.grid_name,
                    "referred_at": now,
                    "dispositions": [],
                    **new_outbox(referred),
                }
            )
    created = await repository.insert_missing(db, docs)
    return [doc["_id"] for doc in docs if doc["_id"] in created]


def check_acted_at(acted_at: datetime, now: datetime) -> None:
    """Refuse a time of action more than a few minutes ahead of `now` (422 naming acted_at)."""
    if acted_at > now + MAX_CLOCK_AHEAD:
        minutes = int(MAX_CLOCK_AHEAD.total_seconds() // 60)
        raise field_error(
            "acted_at",
            "in_future",
            f"处置时间不能晚于当前时间（允许误差 {minutes} 分钟）",
            f"acted_at cannot be in the future (more than {minutes} minutes ahead)",
        )


def _as_stored(at: datetime) -> datetime:
    """Return `at` as MongoDB gives it back (UTC, milliseconds): the answer and reads agree."""
    at = at.astimezone(UTC)
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def _oversees(principal: Principal) -> bool:
    """Tell whether the caller reads every agency's referrals in their subtree (a county
    operator, admitted by the matrix) rather than their own agency's (a liaison)."""
    return not principal.has_role(Role.AGENCY)


async def _referral(db: AsyncDatabase[Document], principal: Principal, hazard_id: str) -> Document:
    """Return the caller's agency's referral of the hazard, or answer 404.

    The login must be tied to the agency the hazard was referred to, and the hazard must lie
    in the login's own grid scope: a login put in the wrong place reaches nothing.
    """
    agency_id = principal.agency_id if principal.has_role(Role.AGENCY) else None
    doc = await repository.get(db, agency_id, hazard_id) if agency_id else None
    if doc is None or not principal.covers(doc["grid_path"]):
        raise not_found("隐患", "Hazard")
    return doc


def to_read(referral: Document, disposition: Document) -> DispositionRead:
    """Shape a stored disposition for the agency."""
    kind = DispositionKind(disposition["kind"])
    label_zh, label_en = DISPOSITION_KIND_LABELS[kind]
    return DispositionRead(
        disposition_id=disposition["disposition_id"],
        hazard_id=referral["hazard_id"],
        agency_id=referral["agency_id"],
        agency_name=referral["agency_name"],
        agency_kind=referral["agency_kind"],
        kind=kind,
        kind_label_zh=label_zh,
        kind_label_en=label_en,
        note=disposition["note"],
        acted_at=disposition["acted_at"],
        officer=disposition.get("officer"),
        reference=disposition.get("reference"),
        recorded_by=PersonRef.model_validate(disposition["recorded_by"]),
        recorded_at=disposition["recorded_at"],
    )


async def record(
    *,
    db: AsyncDatabase[Document],
    principal: Principal,
    hazard_id: str,
    body: DispositionCreate,
) -> tuple[str, DispositionRead]:
    """Store a disposition with its event in one write; return the referral id and it."""
    now = utc_now()
    acted_at = _as_stored(body.acted_at) if body.acted_at else now
    check_acted_at(acted_at, now)
    referral = await _referral(db, principal, hazard_id)
    recorded_by = PersonRef(person_id=principal.user_id, name=principal.name)
    disposition: Document = {
        "disposition_id": new_id(),
        "kind": body.kind.value,
        "note": body.note,
        "acted_at": acted_at,
        "officer": body.officer,
        "reference": body.reference,
        "recorded_by": recorded_by.model_dump(),
        "recorded_at": now,
    }
    event = AgencyDispositionRecorded(
        disposition_id=disposition["disposition_id"],
        hazard_id=hazard_id,
        grid_path=referral["grid_path"],
        agency_id=referral["agency_id"],
        agency_name=referral["agency_name"],
        agency_kind=referral["agency_kind"],
        kind=body.kind,
        note=body.note,
        acted_at=acted_at,
        officer=body.officer,
        reference=body.reference,
        recorded_by=recorded_by,
        occurred_at=now,
    )
    if not await repository.add_disposition(db, referral["_id"], disposition, event):
        raise ApiError(
            409,
            "too_many_dispositions",
            f"该隐患的处置反馈已达 {repository.MAX_DISPOSITIONS} 条上限",
            f"This hazard already has {repository.MAX_DISPOSITIONS} dispositions from you",
        )
    return referral["_id"], to_read(referral, disposition)


async def list_for_hazard(
    *, db: AsyncDatabase[Document], principal: Principal, hazard_id: str
) -> DispositionList:
    """Return the caller's agency's dispositions on a hazard referred to it; for a county
    operator, every agency's on a hazard of their subtree, oldest first (404 otherwise)."""
    if _oversees(principal):
        referrals = [
            doc
            for doc in await repository.for_hazard(db, hazard_id)
            if principal.covers(doc["grid_path"])
        ]
        if not referrals:
            raise not_found("隐患", "Hazard")
    else:
        referrals = [await _referral(db, principal, hazard_id)]
    items = [
        to_read(referral, item)
        for referral in referrals
        for item in referral.get("dispositions", [])
    ]
    return DispositionList(items=sorted(items, key=lambda item: item.recorded_at))


async def feed(
    *, db: AsyncDatabase[Document], principal: Principal, unanswered: bool, skip: int, limit: int
) -> ReferralPage:
    """Return the hazards referred to the caller's agency, inside the login's scope; for a
    county operator, those referred to any agency inside their subtree."""
    if _oversees(principal):
        query = scope_filter(principal)
    elif principal.agency_id is None:
        return ReferralPage(items=[])
    else:
        query = {"agency_id": principal.agency_id}
    docs = await repository.page(db, query, unanswered=unanswered, skip=skip, limit=limit)
    items = []
    for doc in docs:
        if not principal.covers(doc["grid_path"]):
            continue
        answers = doc.get("dispositions", [])
        last = DispositionKind(answers[-1]["kind"]) if answers else None
        category = HazardCategory(doc["category"])
        items.append(
            ReferralRead(
                hazard_id=doc["hazard_id"],
                agency_id=doc["agency_id"],
                agency_name=doc["agency_name"],
                category=category.value,
                category_label_zh=CATEGORY_LABELS[category][0],
                description=doc["description"],
                school_name=doc.get("school_name"),
                point_name=doc.get("point_name"),
                grid_name=doc.get("grid_name"),
                referred_at=doc["referred_at"],
                dispositions=len(answers),
                last_kind=last,
                last_kind_label_zh=DISPOSITION_KIND_LABELS[last][0] if last else None,
            )
        )
    return ReferralPage(items=items)
