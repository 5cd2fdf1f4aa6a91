"""POST /v1/patrols, /v1/health-checks and /v1/duty-checkins: answered once RabbitMQ confirmed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request

from services.hazard_intake.checkins import service
from services.hazard_intake.checkins.models import (
    DutyCheckinAccepted,
    DutyCheckinCreate,
    HealthCheckAccepted,
    HealthCheckCreate,
    PatrolAccepted,
    PatrolCreate,
)
from services.hazard_intake.config import Settings
from shared.auth import CurrentUser
from shared.dependencies import RuntimeDep
from shared.idempotency import IdempotencyKeyHeader, require_key

router = APIRouter(prefix="/v1", tags=["check-ins"])

NOT_STORED: dict[int | str, dict[str, Any]] = {
    503: {"description": "Not stored yet: retry with the same Idempotency-Key"}
}


def _intake(request: Request, runtime: RuntimeDep) -> service.Intake:
    settings: Settings = request.app.state.settings
    return service.Intake(
        db=runtime.db,
        broker=runtime.broker,
        ledger=request.app.state.key_ledger,
        max_age=timedelta(days=settings.key_retention_days),
    )


@router.post(
    "/patrols",
    status_code=202,
    response_model=PatrolAccepted,
    summary="Check in a patrol of a risk point (巡查打卡) with the QR code scanned there",
    responses=NOT_STORED,
)
async def check_in_patrol(
    request: Request,
    patrol: PatrolCreate,
    principal: CurrentUser,
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> PatrolAccepted:
    """Accept a patrol: the QR code must be the point's current one, every check item answered."""
    key = require_key(idempotency_key)
    service.may_submit(principal)
    event = await service.check_in_patrol(
        _intake(request, runtime), principal, key, patrol, request.url.path
    )
    return PatrolAccepted(patrol_id=event.patrol_id, any_problem=event.any_problem)


@router.post(
    "/health-checks",
    status_code=202,
    response_model=HealthCheckAccepted,
    summary="Submit a class's morning or noon health check (晨午检)",
    responses=NOT_STORED,
)
async def submit_health_check(
    request: Request,
    check: HealthCheckCreate,
    principal: CurrentUser,
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HealthCheckAccepted:
    """Accept a health check whose counts add up, for a class or school in your scope."""
    key = require_key(idempotency_key)
    service.may_submit(principal)
    event = await service.submit_health_check(
        _intake(request, runtime), principal, key, check, request.url.path
    )
    return HealthCheckAccepted(health_check_id=event.health_check_id)


@router.post(
    "/duty-checkins",
    status_code=202,
    response_model=DutyCheckinAccepted,
    summary="Check in or out of a duty shift (值班签到/签退) at a school, township or bureau",
    responses=NOT_STORED,
)
async def check_in_duty(
    request: Request,
    duty: DutyCheckinCreate,
    principal: CurrentUser,
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> DutyCheckinAccepted:
    """Accept a duty check-in or check-out at a grid in your scope."""
    key = require_key(idempotency_key)
    service.may_submit(principal)
    event = await service.check_in_duty(
        _intake(request, runtime), principal, key, duty, request.url.path
    )
    return DutyCheckinAccepted(duty_checkin_id=event.duty_checkin_id)
