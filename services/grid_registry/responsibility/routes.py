"""HTTP route of the "who answers for this place, when" query."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from services.grid_registry.access import admit
from services.grid_registry.responsibility import service
from services.grid_registry.responsibility.cache import PlaceCache
from services.grid_registry.responsibility.models import ResponsibilityRead
from shared.auth import CurrentUser
from shared.clock import utc_now
from shared.errors import ApiError, not_found
from shared.fields import Id, Moment
from shared.responsibility import SLOT_LABELS

router = APIRouter(prefix="/v1/responsibility", tags=["responsibility"])


@router.get(
    "",
    dependencies=[admit("responsibility", "read")],
    response_model=ResponsibilityRead,
    summary="Who answers for a risk point or grid at a moment, and the escalation chain",
)
async def who_is_responsible(
    request: Request,
    principal: CurrentUser,
    point_id: Annotated[Id | None, Query()] = None,
    grid_id: Annotated[Id | None, Query()] = None,
    at: Annotated[
        Moment | None, Query(description="ISO 8601 with offset; default now. Past = trace-back")
    ] = None,
) -> ResponsibilityRead:
    """Answer for exactly one of `point_id` or `grid_id`, at `at` (default now)."""
    if (point_id is None) == (grid_id is None):
        raise ApiError(
            400,
            "bad_request",
            "请提供 point_id 或 grid_id 之一",
            "Give exactly one of point_id or grid_id",
        )
    cache: PlaceCache = request.app.state.place_cache
    moment = at or utc_now()
    if point_id is not None:
        found = await service.lookup_point(cache, point_id, moment)
    else:
        found = await service.lookup_grid(cache, grid_id or "", moment)
    if found is None or not principal.covers(found.grid_path):
        raise not_found("风险点" if point_id else "网格", "Risk point" if point_id else "Grid")
    result = found.resolution
    slot = result.responsible.slot
    return ResponsibilityRead(
        grid_id=found.grid_id,
        point_id=point_id,
        at=moment,
        responsible=result.responsible.person,
        slot=slot,
        slot_label_zh=SLOT_LABELS[slot][0] if slot else None,
        members=list(result.members),
        escalation_chain=list(result.chain),
        overlays=list(result.overlays),
        school_name=result.school_name,
    )
