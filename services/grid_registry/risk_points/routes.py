"""HTTP routes of risk points."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from services.grid_registry.access import admit
from services.grid_registry.risk_points import service
from services.grid_registry.risk_points.models import RiskPointCreate, RiskPointRead
from services.grid_registry.risk_points.repository import COLLECTION
from shared.auth import CurrentUser
from shared.dependencies import Db, Idempotency, Relay
from shared.fields import Id
from shared.idempotency import IdempotencyKeyHeader

router = APIRouter(prefix="/v1/risk-points", tags=["risk points"])


@router.post(
    "",
    dependencies=[admit("risk points", "write")],
    status_code=201,
    response_model=RiskPointRead,
    summary="Create a risk point",
)
async def create_risk_point(
    request: Request,
    point_in: RiskPointCreate,
    principal: CurrentUser,
    db: Db,
    relay: Relay,
    idempotency: Idempotency,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Create a risk point in a grid of your subtree; retries with the same key replay."""

    async def write() -> tuple[int, RiskPointRead]:
        point = await service.create(db=db, principal=principal, point_in=point_in)
        relay.notify(COLLECTION, point.point_id)
        return 201, point

    return await idempotency.answer(
        request, owner=principal.user_id, key=idempotency_key, payload=point_in, write=write
    )


@router.get(
    "/{point_id}",
    dependencies=[admit("risk points", "read")],
    response_model=RiskPointRead,
    summary="One risk point",
)
async def get_risk_point(point_id: Id, principal: CurrentUser, db: Db) -> RiskPointRead:
    """Return a risk point of your subtree with who answers for it now."""
    return await service.get(db=db, principal=principal, point_id=point_id)
