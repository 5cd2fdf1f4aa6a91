"""POST /v1/reports and /v1/reports/batch: answered only once RabbitMQ has confirmed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from services.hazard_intake.reports import batch, service
from services.hazard_intake.reports.ledger import KeyLedger
from services.hazard_intake.reports.models import (
    BatchAccepted,
    ReportAccepted,
    ReportBatch,
    ReportCreate,
)
from shared.auth import CurrentUser, Principal
from shared.dependencies import RuntimeDep
from shared.errors import ApiError
from shared.idempotency import IdempotencyKeyHeader, fingerprint, require_key
from shared.messaging import PublishFailed

router = APIRouter(prefix="/v1/reports", tags=["reports"])

NOT_STORED: dict[int | str, dict[str, Any]] = {
    503: {"description": "Not stored yet: retry with the same Idempotency-Key"}
}


def _may_report(principal: Principal) -> None:
    if not service.may_report(principal):
        raise ApiError(
            403, "forbidden", "外部单位账号不能上报隐患", "Agency accounts cannot report"
        )


@router.post(
    "",
    status_code=202,
    response_model=ReportAccepted,
    summary="Report a hazard (retry with the same Idempotency-Key until you get a 2xx)",
    responses=NOT_STORED,
)
async def submit_report(
    request: Request,
    report: ReportCreate,
    principal: CurrentUser,
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> ReportAccepted:
    """Accept a report; the same key always yields the same report id, never a second report."""
    key = require_key(idempotency_key)
    _may_report(principal)
    place = await service.resolve_place(request.app.state.places, principal, report)
    report_id = service.report_id_for(principal, key)
    ledger: KeyLedger = request.app.state.key_ledger
    body_fingerprint = service.check_key(ledger, report_id, report, service.REPORT_PATH)
    # Every request with this key publishes (a retry may follow a publish that failed); the
    # event id and report id are the same each time, and the case service keeps the first.
    event = service.build_event(principal, report_id, report, place, body_fingerprint)
    try:
        await runtime.broker.publish(event)
    except PublishFailed as exc:
        raise service.not_stored() from exc
    return ReportAccepted(report_id=report_id)


@router.post(
    "/batch",
    response_model=BatchAccepted,
    summary="Send up to 100 reports queued offline; each is accepted or refused on its own",
    responses=NOT_STORED,
)
async def submit_batch(
    request: Request,
    reports: ReportBatch,
    principal: CurrentUser,
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> BatchAccepted:
    """Accept queued reports; resend the items answered 503 (with their same keys)."""
    key = require_key(idempotency_key)
    _may_report(principal)
    return await batch.accept_batch(
        broker=runtime.broker,
        places=request.app.state.places,
        ledger=request.app.state.key_ledger,
        principal=principal,
        batch_key=key,
        # The items are free-form JSON objects: fingerprint them with sorted keys.
        batch_fingerprint=fingerprint("POST", request.url.path, reports.model_dump(mode="json")),
        items=reports.reports,
    )
