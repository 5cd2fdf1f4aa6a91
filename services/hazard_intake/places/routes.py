"""What a phone shows after scanning a point's QR code: the point it names."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from services.hazard_intake.access import admit
from services.hazard_intake.places.cache import PlaceCache
from shared.auth import CurrentUser
from shared.errors import not_found
from shared.fields import Id

router = APIRouter(prefix="/v1/points", tags=["places"])


class PointRead(BaseModel):
    """A risk point as intake knows it."""

    point_id: str
    name: str
    grid_id: str


@router.get(
    "/{point_id}",
    dependencies=[admit("risk points", "read")],
    response_model=PointRead,
    summary="A risk point you may report on",
)
async def get_point(point_id: Id, request: Request, principal: CurrentUser) -> PointRead:
    """Return the point if it is known here and inside your scope (404 otherwise)."""
    cache: PlaceCache = request.app.state.places
    place = await cache.point(point_id)
    if place is None or not principal.covers(place.grid_path):
        raise not_found("风险点", "Risk point")
    return PointRead(point_id=point_id, name=place.name, grid_id=place.grid_id)
