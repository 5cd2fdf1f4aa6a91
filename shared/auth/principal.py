"""Who is calling, and which part of the grid they may see and touch.

A grid is identified by its materialized path, '/<bureau>/<township>/<school>/<zone>/', so
"grid B lies in the subtree of grid A" is "B's path starts with A's path". A user's scope is the
list of paths of the grids they answer for; everything below those is theirs, nothing else is.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.vocabulary import Role


class Principal(BaseModel):
    """The authenticated caller, as carried in the token."""

    model_config = ConfigDict(frozen=True)

    user_id: str
    username: str
    name: str
    roles: frozenset[Role]
    scope: tuple[str, ...] = Field(description="Grid paths whose subtrees this user may access")
    agency_id: str | None = None

    def has_role(self, *roles: Role) -> bool:
        """Tell whether the caller holds any of `roles`."""
        return not self.roles.isdisjoint(roles)

    def covers(self, grid_path: str | None) -> bool:
        """Tell whether `grid_path` lies within this user's scope."""
        if not grid_path:
            return False
        return any(grid_path.startswith(root) for root in self.scope)


def scope_filter(principal: Principal, field: str = "grid_path") -> dict[str, Any]:
    """Return a MongoDB filter that keeps only documents inside the caller's scope."""
    if not principal.scope:
        return {field: {"$in": []}}
    patterns = [{field: {"$regex": "^" + re.escape(root)}} for root in principal.scope]
    return patterns[0] if len(patterns) == 1 else {"$or": patterns}
