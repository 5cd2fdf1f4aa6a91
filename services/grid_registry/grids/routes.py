"""HTTP routes of grids."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from services.grid_registry.access import admit
from services.grid_registry.dependencies import PlaceCacheDep
from services.grid_registry.grids import service
from services.grid_registry.grids.models import GridCreate, GridRead
from services.grid_registry.grids.repository import COLLECTION
from shared.auth import CurrentUser
from shared.dependencies import Db, Idempotency, Relay
from shared.fields import Id
from shared.idempotency import IdempotencyKeyHeader
from shared.responsibility import Calendar

router = APIRouter(prefix="/v1/grids", tags=["grids"])


@router.post(
    "",
    dependencies=[admit("grids", "write")],
    status_code=201,
    response_model=GridRead,
    summary="Create a grid in your subtree",
)
async def create_grid(
    request: Request,
    grid_in: GridCreate,
    principal: CurrentUser,
    db: Db,
    relay: Relay,
    idempotency: Idempotency,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Create a grid; retries with the same Idempotency-Key return the same grid."""

    async def write() -> tuple[int, GridRead]:
        grid = await service.create(db=db, principal=principal, grid_in=grid_in)
        relay.notify(COLLECTION, grid.grid_id)
        return 201, grid

    return await idempotency.answer(
        request, owner=principal.user_id, key=idempotency_key, payload=grid_in, write=write
    )


@router.get(
    "/{grid_id}",
    dependencies=[admit("grids", "read")],
    response_model=GridRead,
    summary="One grid of your subtree",
)
async def get_grid(grid_id: Id, principal: CurrentUser, db: Db) -> GridRead:
    """Return a grid (404 if it is not in your subtree)."""
    return await service.get(db=db, principal=principal, grid_id=grid_id)


@router.get(
    "/{grid_id}/children",
    dependencies=[admit("grids", "read")],
    response_model=list[GridRead],
    summary="The grids directly below",
)
async def get_children(grid_id: Id, principal: CurrentUser, db: Db) -> list[GridRead]:
    """List the children of a grid of your subtree."""
    return await service.children(db=db, principal=principal, grid_id=grid_id)


@router.put(
    "/{grid_id}/calendar",
    dependencies=[admit("grids", "write")],
    response_model=GridRead,
    summary="Set the school-day calendar (slots, holidays) of a grid's subtree; null inherits",
)
async def set_calendar(
    grid_id: Id,
    calendar: Calendar | None,
    principal: CurrentUser,
    db: Db,
    relay: Relay,
    cache: PlaceCacheDep,
) -> GridRead:
    """Replace the calendar (idempotent: the same calendar twice is the same state)."""
    grid = await service.set_calendar(
        db=db, principal=principal, grid_id=grid_id, calendar=calendar
    )
    relay.notify(COLLECTION, grid_id)
    cache.forget("grid", grid_id)
    return grid
