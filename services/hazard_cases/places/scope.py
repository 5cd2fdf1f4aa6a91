"""The grid a manager asks about: their own by default, any grid of their subtree by id."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_cases.places import repository as places
from shared.auth import Principal
from shared.errors import ApiError, not_found
from shared.vocabulary import Role

Document = dict[str, Any]


async def managed_subtree(
    db: AsyncDatabase[Document], principal: Principal, grid_id: str | None, *, what: tuple[str, str]
) -> tuple[str, str]:
    """Return the path and name of the grid asked about (default: the caller's own), or 404.

    Only managers (county operators, school heads) may ask; `what` names what they look at
    (Chinese, English) in the 403 others get.
    """
    if not principal.has_role(Role.COUNTY_OPERATOR, Role.SCHOOL_HEAD):
        zh, en = what
        raise ApiError(
            403, "forbidden", f"只有管理人员可以查看{zh}", f"Only managers can view {en}"
        )
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
