"""Turning a report into a ReportSubmitted event; no business decisions happen here."""

from __future__ import annotations

from typing import Any

from services.hazard_intake.places.cache import Place, PlaceCache
from services.hazard_intake.reports.ledger import KeyLedger
from services.hazard_intake.reports.models import ReportCreate
from shared.auth import Principal
from shared.clock import utc_now
from shared.errors import ApiError, field_error
from shared.events import PersonRef, ReportSubmitted
from shared.idempotency import fingerprint
from shared.ids import derived_id
from shared.vocabulary import Role

# Fingerprinted with every report key: fixed, so one report gets one fingerprint whichever way
# it came in (alone, in an offline batch, through the fast lane) and behind any proxy prefix.
REPORT_PATH = "/v1/reports"


def key_reused() -> ApiError:
    """Build the 422 answering a key first used with another body (IETF draft semantics)."""
    return ApiError(
        422,
        "idempotency_key_reused",
        "该 Idempotency-Key 已用于内容不同的上报",
        "This Idempotency-Key was already used for a different report",
    )


def not_stored() -> ApiError:
    """Build the 503 telling the phone to retry with the same key (the broker did not confirm)."""
    return ApiError(
        503,
        "not_stored_retry",
        "暂时无法保存，请稍后使用同一个 Idempotency-Key 重试",
        "Not stored yet; retry shortly with the same Idempotency-Key",
        headers={"Retry-After": "2"},
    )


def check_key(ledger: KeyLedger, report_id: str, report: Any, path: str) -> str:
    """Answer 422 if this Idempotency-Key was first used with another report; else return the
    report's fingerprint (carried by its event, so a reuse the ledger missed is found later)."""
    mine = fingerprint("POST", path, report)
    if not ledger.first_use_matches(report_id, mine, utc_now().timestamp()):
        raise key_reused()
    return mine


def may_report(principal: Principal) -> bool:
    """Return whether this user may report (agency-only accounts answer, they do not report)."""
    return not (principal.has_role(Role.AGENCY) and len(principal.roles) == 1)


def report_id_for(principal: Principal, idempotency_key: str) -> str:
    """Return the id of the report a user sends with this key (retries get the same id)."""
    return derived_id("report", principal.user_id, idempotency_key)


async def resolve_place(cache: PlaceCache, principal: Principal, report: ReportCreate) -> Place:
    """Return the place the report names, if it exists inside the reporter's scope (else 422)."""
    if report.point_id is not None:
        place = await cache.point(report.point_id)
        if place is None or not principal.covers(place.grid_path):
            raise field_error("point_id", "not_found", "风险点不存在", "Risk point not found")
        return place
    place = await cache.grid(report.grid_id or "")
    if place is None or not principal.covers(place.grid_path):
        raise field_error("grid_id", "not_found", "网格不存在", "Grid not found")
    return place


def build_event(
    principal: Principal,
    report_id: str,
    report: ReportCreate,
    place: Place,
    body_fingerprint: str | None,
) -> ReportSubmitted:
    """Return the event announcing this report; its id is derived, so retries match."""
    return ReportSubmitted(
        event_id=derived_id("ReportSubmitted", report_id),
        report_id=report_id,
        point_id=place.point_id,
        grid_id=place.grid_id,
        grid_path=place.grid_path,
        category=report.category,
        description=report.description,
        location=report.location,
        photo_ids=tuple(report.photo_ids),
        reporter=PersonRef(person_id=principal.user_id, name=principal.name),
        reporter_scope=principal.scope,
        submitted_at=report.submitted_at,
        received_at=utc_now(),
        body_fingerprint=body_fingerprint,
    )
