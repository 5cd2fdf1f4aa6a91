"""HTTP route of coverage statistics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.grid_registry.access import admit
from services.grid_registry.coverage import service
from services.grid_registry.coverage.models import CoverageRead
from services.grid_registry.grids import service as grids
from shared.auth import CurrentUser
from shared.dependencies import Db
from shared.errors import not_found
from shared.fields import Id

router = APIRouter(prefix="/v1/coverage", tags=["coverage"])


@router.get(
    "",
    dependencies=[admit("coverage", "read")],
    response_model=CoverageRead,
    summary="Grids per level, blind spots, outside grids short of three persons, staff taking part",
)
async def get_coverage(
    principal: CurrentUser,
    db: Db,
    grid_id: Annotated[Id | None, Query(description="Default: your own grid")] = None,
) -> CoverageRead:
    """Return the coverage of a subtree of yours, now."""
    if grid_id is None:
        if not principal.scope or principal.scope[0] == "/":
            raise not_found("网格", "Grid")
        grid_id = principal.scope[0].rstrip("/").rsplit("/", 1)[-1]
    root = await grids.get_in_scope(db=db, principal=principal, grid_id=grid_id)
    return await service.coverage(db, root)
