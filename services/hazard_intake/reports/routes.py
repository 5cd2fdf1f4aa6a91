"""POST /v1/reports: answered 202 only once RabbitMQ has confirmed the report."""

from __future__ import annotations

from fastapi import APIRouter, Request

from services.hazard_intake.reports import service
from services.hazard_intake.reports.models import ReportAccepted, ReportCreate
from shared.auth import CurrentUser
from shared.dependencies import RuntimeDep
from shared.errors import ApiError
from shared.idempotency import IdempotencyKeyHeader, require_key
from shared.messaging import PublishFailed
from shared.vocabulary import Role

router = APIRouter(prefix="/v1/reports", tags=["reports"])


@router.post(
    "",
    status_code=202,
    response_model=ReportAccepted,
    summary="Report a hazard (retry with the same Idempotency-Key until you get a 2xx)",
    responses={503: {"description": "Not stored yet: retry with the same Idempotency-Key"}},
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
    if principal.has_role(Role.AGENCY) and len(principal.roles) == 1:
        raise ApiError(
            403, "forbidden", "外部单位账号不能上报隐患", "Agency accounts cannot report"
        )
    place = await service.resolve_place(request.app.state.places, principal, report)
    report_id = service.report_id_for(principal, key)
    await service.check_key(runtime.db, report_id, report, request.url.path)
    # Every request with this key publishes (a retry may follow a publish that failed); the
    # event id and report id are the same each time, and the case service keeps the first.
    event = service.build_event(principal, report_id, report, place)
    try:
        await runtime.broker.publish(event)
    except PublishFailed as exc:
        raise ApiError(
            503,
            "not_stored_retry",
            "暂时无法保存，请稍后使用同一个 Idempotency-Key 重试",
            "Not stored yet; retry shortly with the same Idempotency-Key",
            headers={"Retry-After": "2"},
        ) from exc
    return ReportAccepted(report_id=report_id)
