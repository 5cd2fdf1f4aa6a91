"""HTTP routes of assignments."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from services.grid_registry.access import admit
from services.grid_registry.assignments import service
from services.grid_registry.assignments.models import (
    AssignmentCreate,
    AssignmentEnd,
    AssignmentRead,
)
from services.grid_registry.dependencies import PlaceCacheDep
from services.grid_registry.grids.repository import COLLECTION as GRIDS
from services.grid_registry.risk_points.repository import COLLECTION as POINTS
from shared.auth import CurrentUser
from shared.dependencies import Db, Idempotency, Relay
from shared.fields import Id
from shared.idempotency import IdempotencyKeyHeader

router = APIRouter(prefix="/v1", tags=["assignments"])

# Path segment of each target kind: /v1/grids/{id}/... and /v1/risk-points/{id}/...
PathKind = Literal["grids", "risk-points"]
KINDS: dict[str, Literal["grid", "point"]] = {"grids": "grid", "risk-points": "point"}


def _collection(kind: Literal["grid", "point"]) -> str:
    return GRIDS if kind == "grid" else POINTS


@router.post(
    "/assignments",
    dependencies=[admit("assignments", "write")],
    status_code=201,
    response_model=AssignmentRead,
    summary="Make someone answer for a grid or risk point (by time slot, or as a rotation)",
)
async def create_assignment(
    request: Request,
    body: AssignmentCreate,
    principal: CurrentUser,
    db: Db,
    relay: Relay,
    cache: PlaceCacheDep,
    idempotency: Idempotency,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Assign; the person who held the same duty and slot is ended at the same moment."""

    async def write() -> tuple[int, AssignmentRead]:
        created = await service.assign(db=db, principal=principal, body=body)
        relay.notify(_collection(body.target_kind), body.target_id)
        cache.forget(body.target_kind, body.target_id)
        return 201, created

    return await idempotency.answer(
        request, owner=principal.user_id, key=idempotency_key, payload=body, write=write
    )


@router.post(
    "/{targets}/{target_id}/assignments/{assignment_id}/end",
    dependencies=[admit("assignments", "write")],
    response_model=AssignmentRead,
    summary="End an assignment (it stays in the history)",
)
async def end_assignment(
    request: Request,
    targets: PathKind,
    target_id: Id,
    assignment_id: Id,
    body: AssignmentEnd,
    principal: CurrentUser,
    db: Db,
    relay: Relay,
    cache: PlaceCacheDep,
    idempotency: Idempotency,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """End it now or at `valid_to`."""
    target_kind = KINDS[targets]

    async def write() -> tuple[int, AssignmentRead]:
        ended = await service.end(
            db=db,
            principal=principal,
            target_kind=target_kind,
            target_id=target_id,
            assignment_id=assignment_id,
            body=body,
        )
        relay.notify(_collection(target_kind), target_id)
        cache.forget(target_kind, target_id)
        return 200, ended

    return await idempotency.answer(
        request, owner=principal.user_id, key=idempotency_key, payload=body, write=write
    )


@router.get(
    "/{targets}/{target_id}/assignments",
    dependencies=[admit("assignments", "read")],
    response_model=list[AssignmentRead],
    summary="Every assignment of a grid or risk point, newest first (history included)",
)
async def list_assignments(
    targets: PathKind, target_id: Id, principal: CurrentUser, db: Db
) -> list[AssignmentRead]:
    """Return the assignment history of a target of your subtree."""
    return await service.history(
        db=db, principal=principal, target_kind=KINDS[targets], target_id=target_id
    )
