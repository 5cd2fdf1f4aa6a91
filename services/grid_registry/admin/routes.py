"""HTTP route for republishing a subtree's state."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.grid_registry.access import admit
from services.grid_registry.admin import service
from services.grid_registry.grids import service as grids
from shared.auth import CurrentUser
from shared.dependencies import Db, Relay
from shared.fields import Id

router = APIRouter(prefix="/v1/admin", tags=["administration"])


@router.post(
    "/republish",
    dependencies=[admit("subtree", "republish")],
    summary="Announce every grid and risk point under a grid again (for late subscribers)",
)
async def republish(
    principal: CurrentUser,
    db: Db,
    relay: Relay,
    grid_id: Annotated[Id, Query()],
) -> dict[str, int]:
    """Queue the events; repeats are harmless (consumers keep the newest version)."""
    root = await grids.get_in_scope(db=db, principal=principal, grid_id=grid_id)
    return await service.republish(db=db, principal=principal, root=root, relay=relay)
