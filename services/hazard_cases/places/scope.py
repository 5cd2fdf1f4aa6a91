"""The grid a manager asks about: their own by default, any grid of their subtree by id."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_cases.places import repository as places
from shared.auth import Principal
from shared.errors import not_found

Document = dict[str, Any]


async def managed_subtree(
    db: AsyncDatabase[Document], principal: Principal, grid_id: str | None
) -> tuple[str, str]:
    """Return the path and name of the grid asked about (default: the caller's own), or 404.

    Who may ask at all is the route's row of the matrix (managers: county operators, school
    heads).
    """
    if grid_id is None:
        if not principal.scope:
            raise not_found("网格", "Grid")
        path = sorted(principal.scope)[0]
        grid_id = [part for part in path.split("/") if part][-1] if path.strip("/") else None
        if grid_id is None:
            return path, "全部"
    grid = await places.get(db, places.GRIDS, grid_id)
    if grid is None or not principal.covers(str(grid.get("grid_path", ""))):
        raise not_found("网格", "Grid")
    return str(grid["grid_path"]), str(grid.get("name", ""))
