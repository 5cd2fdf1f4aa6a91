"""Request dependencies of the Open311 door: intake's places."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.hazard_intake.places.cache import PlaceCache


async def get_places(request: Request) -> PlaceCache:
    """Return intake's copy of the registry's places."""
    places: PlaceCache = request.app.state.places
    return places


Places = Annotated[PlaceCache, Depends(get_places)]
