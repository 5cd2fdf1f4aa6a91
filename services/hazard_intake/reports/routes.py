"""POST /v1/reports and /v1/reports/batch: answered only once RabbitMQ has confirmed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from services.hazard_intake.access import admit
from services.hazard_intake.reports import batch, service
from services.hazard_intake.reports.models import (
    BatchAccepted,
    ReportAccepted,
    ReportBatch,
    ReportCreate,
)
from services.hazard_intake.throttles import Throttles
from shared.auth import CurrentUser
from shared.dependencies import RuntimeDep
from shared.idempotency import IdempotencyKeyHeader, fingerprint, require_key, respond

router = APIRouter(prefix="/v1/reports", tags=["reports"])

ANSWERS: dict[int | str, dict[str, Any]] = {
    429: {"description": "Too many reports from this user: retry after Retry-After seconds"},
    503: {"description": "Not stored yet: retry with the same Idempotency-Key"},
}


@router.post(
    "",
    dependencies=[admit("reports", "submit")],
    status_code=202,
    response_model=ReportAccepted,
    summary="Report a hazard (retry with the same Idempotency-Key until you get a 2xx)",
    responses=ANSWERS,
)
async def submit_report(
    request: Request,
    report: ReportCreate,
    principal: CurrentUser,
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Accept a report; the same key always yields the same report id, never a second report."""
    key = require_key(idempotency_key)
    throttles: Throttles = request.app.state.throttles
    await throttles.reports.take(principal.user_id)
    place = await service.resolve_place(request.app.state.places, principal, report)
    return await respond(
        service.submit(
            keys=runtime.idempotency,
            broker=runtime.broker,
            principal=principal,
            key=key,
            report=report,
            place=place,
        )
    )


@router.post(
    "/batch",
    dependencies=[admit("reports", "submit")],
    response_model=BatchAccepted,
    summary="Send up to 100 reports queued offline; each is accepted or refused on its own",
    responses=ANSWERS,
)
async def submit_batch(
    request: Request,
    reports: ReportBatch,
    principal: CurrentUser,
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Accept queued reports; resend the items answered 503 (with their same keys) in a new
    batch. A retry of this batch with its key replays the first answer."""
    key = require_key(idempotency_key)
    throttles: Throttles = request.app.state.throttles
    await throttles.reports.take(principal.user_id, cost=max(1, len(reports.reports)))
    places = request.app.state.places

    async def write() -> tuple[int, Any]:
        accepted = await batch.accept_batch(
            keys=runtime.idempotency,
            broker=runtime.broker,
            places=places,
            principal=principal,
            items=reports.reports,
        )
        return 200, accepted

    # The items are free-form JSON objects: fingerprint them with sorted keys.
    return await runtime.idempotency.run(
        owner=principal.user_id,
        key=key,
        request_fingerprint=fingerprint("POST", request.url.path, reports.model_dump(mode="json")),
        write=write,
    )
