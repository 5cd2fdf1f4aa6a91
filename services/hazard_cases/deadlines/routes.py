"""The deadline policy of a county (or any grid): read the one in force, set one."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from services.hazard_cases.access import admit
from services.hazard_cases.deadlines import repository
from services.hazard_cases.deadlines.policy import DeadlinePolicy
from services.hazard_cases.places import repository as places
from shared.auth import CurrentUser, Principal
from shared.clock import utc_now
from shared.dependencies import Db
from shared.errors import not_found
from shared.fields import Id

router = APIRouter(prefix="/v1/deadline-policies", tags=["deadlines"])


class PolicyRead(BaseModel):
    """The policy in force for a grid, and where it comes from."""

    grid_id: str
    source_grid_id: str | None = Field(description="The grid that set it; null = the defaults")
    policy: DeadlinePolicy


async def _grid_in_scope(db: Db, principal: Principal, grid_id: str) -> dict[str, object]:
    grid = await places.get(db, places.GRIDS, grid_id)
    if grid is None or not principal.covers(str(grid.get("grid_path", ""))):
        raise not_found("网格", "Grid")
    return grid


@router.get(
    "/{grid_id}",
    dependencies=[admit("deadline policies", "read")],
    response_model=PolicyRead,
    summary="The deadline policy in force",
)
async def get_policy(grid_id: Id, request: Request, principal: CurrentUser, db: Db) -> PolicyRead:
    """Return the policy that applies to hazards in this grid (managers of its subtree)."""
    grid = await _grid_in_scope(db, principal, grid_id)
    policies: repository.PolicyBook = request.app.state.policies
    policy, source = await policies.for_path(str(grid["grid_path"]))
    return PolicyRead(grid_id=grid_id, source_grid_id=source, policy=policy)


@router.put(
    "/{grid_id}",
    dependencies=[admit("deadline policies", "write")],
    response_model=PolicyRead,
    summary="Set a grid's own policy (county operators); applies to hazards assigned from now",
)
async def put_policy(
    grid_id: Id, policy: DeadlinePolicy, request: Request, principal: CurrentUser, db: Db
) -> PolicyRead:
    """Set the policy of a grid of your subtree (PUT: the same body twice changes nothing)."""
    await _grid_in_scope(db, principal, grid_id)
    await repository.save(db, grid_id, policy, principal.user_id, utc_now())
    policies: repository.PolicyBook = request.app.state.policies
    policies.forget()
    return PolicyRead(grid_id=grid_id, source_grid_id=grid_id, policy=policy)
