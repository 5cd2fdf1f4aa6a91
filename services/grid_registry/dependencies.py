"""Registry-specific request dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.grid_registry.responsibility.cache import PlaceCache


async def get_place_cache(request: Request) -> PlaceCache:
    """Return the lookup cache (to drop what a write changed)."""
    cache: PlaceCache = request.app.state.place_cache
    return cache


PlaceCacheDep = Annotated[PlaceCache, Depends(get_place_cache)]
