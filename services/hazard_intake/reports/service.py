"""Turning a report into a ReportSubmitted event and publishing it once per Idempotency-Key;
no business decisions happen here."""

from __future__ import annotations

from typing import Any

from services.hazard_intake.places.cache import Place, PlaceCache
from services.hazard_intake.reports.models import ReportAccepted, ReportCreate
from shared.auth import Principal
from shared.clock import utc_now
from shared.errors import ApiError, field_error
from shared.events import Event, PersonRef, ReportSubmitted
from shared.idempotency import IdempotencyStore, fingerprint
from shared.ids import derived_id
from shared.messaging import Broker, PublishFailed

# Fingerprinted with every report key: fixed, so one report gets one fingerprint whichever way
# it came in (alone or in an offline batch) and behind any proxy prefix.
REPORT_PATH = "/v1/reports"


def not_stored() -> ApiError:
    """Build the 503 telling the phone to retry with the same key (the broker did not confirm)."""
    return ApiError(
        503,
        "not_stored_retry",
        "暂时无法保存，请稍后使用同一个 Idempotency-Key 重试",
        "Not stored yet; retry shortly with the same Idempotency-Key",
        headers={"Retry-After": "2"},
    )


async def publish(broker: Broker, event: Event) -> None:
    """Publish and wait for the broker's confirm; answer 503 (retry with the key) without one."""
    try:
        await broker.publish(event)
    except PublishFailed as exc:
        raise not_stored() from exc


async def submit(
    *,
    keys: IdempotencyStore,
    broker: Broker,
    principal: Principal,
    key: str,
    report: ReportCreate,
    place: Place,
) -> tuple[int, Any]:
    """Publish the report once per Idempotency-Key and return the answer (status, body).

    A retry gets the first answer (Replayed); the same key with another report is 422. The
    event carries the body's fingerprint, so a reuse the store no longer knows (its answer
    expired) is still found by the case service.
    """
    report_id = report_id_for(principal, key)
    body_fingerprint = fingerprint("POST", REPORT_PATH, report)

    async def write() -> tuple[int, Any]:
        await publish(broker, build_event(principal, report_id, report, place, body_fingerprint))
        return 202, ReportAccepted(report_id=report_id)

    return await keys.once(
        owner=principal.user_id, key=key, request_fingerprint=body_fingerprint, write=write
    )


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
