"""HTTP route of the "who answers for this place" query."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.grid_registry.grids import repository as grids
from services.grid_registry.responsibility import service
from services.grid_registry.responsibility.models import ResponsibilityRead
from services.grid_registry.risk_points import service as risk_points
from shared.auth import CurrentUser
from shared.dependencies import Db
from shared.errors import ApiError, not_found

router = APIRouter(prefix="/v1/responsibility", tags=["responsibility"])


@router.get(
    "",
    response_model=ResponsibilityRead,
    summary="Who answers for a risk point or grid, and the escalation chain above them",
)
async def who_is_responsible(
    principal: CurrentUser,
    db: Db,
    point_id: Annotated[str | None, Query(max_length=64)] = None,
    grid_id: Annotated[str | None, Query(max_length=64)] = None,
) -> ResponsibilityRead:
    """Answer for exactly one of `point_id` or `grid_id`."""
    if (point_id is None) == (grid_id is None):
        raise ApiError(
            400,
            "bad_request",
            "请提供 point_id 或 grid_id 之一",
            "Give exactly one of point_id or grid_id",
        )
    if point_id is not None:
        point, grid = await risk_points.get_in_scope(db=db, principal=principal, point_id=point_id)
        answer = await service.for_point(db, point, grid)
    else:
        grid = await grids.get(db, grid_id or "")
        if grid is None or not principal.covers(grid["path"]):
            raise not_found("网格", "Grid")
        answer = await service.for_grid(db, grid)
    return ResponsibilityRead(
        grid_id=grid["_id"],
        point_id=point_id,
        responsible=answer.responsible,
        escalation_chain=list(answer.chain),
        school_name=answer.school_name,
    )
