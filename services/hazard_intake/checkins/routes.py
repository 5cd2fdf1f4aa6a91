"""POST /v1/patrols, /v1/health-checks and /v1/duty-checkins: answered once RabbitMQ confirmed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from services.hazard_intake.access import admit
from services.hazard_intake.checkins import service
from services.hazard_intake.checkins.models import (
    DutyCheckinAccepted,
    DutyCheckinCreate,
    HealthCheckAccepted,
    HealthCheckCreate,
    PatrolAccepted,
    PatrolCreate,
)
from services.hazard_intake.throttles import Throttles
from shared.auth import CurrentUser, Principal
from shared.dependencies import RuntimeDep
from shared.idempotency import IdempotencyKeyHeader, require_key, respond

router = APIRouter(prefix="/v1", tags=["check-ins"])

ANSWERS: dict[int | str, dict[str, Any]] = {
    429: {"description": "Too many check-ins from this user: retry after Retry-After seconds"},
    503: {"description": "Not stored yet: retry with the same Idempotency-Key"},
}


async def _intake(request: Request, runtime: RuntimeDep, principal: Principal) -> service.Intake:
    """Admit the caller by rate (the role was admitted by the route) and return what a
    check-in needs."""
    throttles: Throttles = request.app.state.throttles
    await throttles.checkins.take(principal.user_id)
    return service.Intake(
        db=runtime.db,
        broker=runtime.broker,
        keys=runtime.idempotency,
        max_age=timedelta(hours=runtime.settings.idempotency_retention_hours),
    )


@router.post(
    "/patrols",
    dependencies=[admit("check-ins", "submit")],
    status_code=202,
    response_model=PatrolAccepted,
    summary="Check in a patrol of a risk point (巡查打卡) with the QR code scanned there",
    responses=ANSWERS,
)
async def check_in_patrol(
    request: Request,
    patrol: PatrolCreate,
    principal: CurrentUser,
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Accept a patrol: the QR code must be the point's current one, every check item answered."""
    key = require_key(idempotency_key)
    intake = await _intake(request, runtime, principal)
    return await respond(service.check_in_patrol(intake, principal, key, patrol, request.url.path))


@router.post(
    "/health-checks",
    dependencies=[admit("check-ins", "submit")],
    status_code=202,
    response_model=HealthCheckAccepted,
    summary="Submit a class's morning or noon health check (晨午检)",
    responses=ANSWERS,
)
async def submit_health_check(
    request: Request,
    check: HealthCheckCreate,
    principal: CurrentUser,
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Accept a health check whose counts add up, for a class or school in your scope."""
    key = require_key(idempotency_key)
    intake = await _intake(request, runtime, principal)
    return await respond(
        service.submit_health_check(intake, principal, key, check, request.url.path)
    )


@router.post(
    "/duty-checkins",
    dependencies=[admit("check-ins", "submit")],
    status_code=202,
    response_model=DutyCheckinAccepted,
    summary="Check in or out of a duty shift (值班签到/签退) at a school, township or bureau",
    responses=ANSWERS,
)
async def check_in_duty(
    request: Request,
    duty: DutyCheckinCreate,
    principal: CurrentUser,
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Accept a duty check-in or check-out at a grid in your scope."""
    key = require_key(idempotency_key)
    intake = await _intake(request, runtime, principal)
    return await respond(service.check_in_duty(intake, principal, key, duty, request.url.path))
