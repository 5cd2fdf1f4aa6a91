"""HTTP routes of agencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from services.agency_integration.access import admit
from services.agency_integration.agencies import service
from services.agency_integration.agencies.models import AgencyCreate, AgencyRead
from services.agency_integration.config import Settings
from services.agency_integration.deliveries.targets import TargetPolicy
from shared.auth import CurrentUser
from shared.dependencies import Db, Idempotency
from shared.fields import Id
from shared.idempotency import IdempotencyKeyHeader

router = APIRouter(prefix="/v1/agencies", tags=["agencies"])


async def get_webhook_targets(request: Request) -> TargetPolicy:
    """Return the policy webhook URLs are checked against (from the service's settings)."""
    settings: Settings = request.app.state.settings
    return settings.webhook_targets()


WebhookTargets = Annotated[TargetPolicy, Depends(get_webhook_targets)]


@router.post(
    "",
    dependencies=[admit("agencies", "register")],
    status_code=201,
    response_model=AgencyRead,
    summary="Register an agency and what it subscribes to (returns the signing secret once)",
)
async def create_agency(
    request: Request,
    agency_in: AgencyCreate,
    principal: CurrentUser,
    db: Db,
    idempotency: Idempotency,
    targets: WebhookTargets,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Register an agency for your area; retries with the same key replay the same answer."""

    async def write() -> tuple[int, AgencyRead]:
        return 201, await service.create(
            db=db, principal=principal, agency_in=agency_in, targets=targets
        )

    return await idempotency.answer(
        request, owner=principal.user_id, key=idempotency_key, payload=agency_in, write=write
    )


@router.get(
    "/{agency_id}",
    dependencies=[admit("agencies", "read")],
    response_model=AgencyRead,
    summary="One agency",
)
async def get_agency(agency_id: Id, principal: CurrentUser, db: Db) -> AgencyRead:
    """Return an agency of your area, or your own agency."""
    return await service.get(db=db, principal=principal, agency_id=agency_id)
