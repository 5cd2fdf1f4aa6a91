"""The command centre's rows of the authorization matrix (README, "Authorization"): managers
read the board of their subtree; the page itself is public (it logs in at the registry).
Every route declares one of them with `admit`.
"""

from __future__ import annotations

from typing import Any

from shared.auth.access import AccessTable, grant, public
from shared.vocabulary import Role

ACCESS = AccessTable(
    "command_centre",
    [
        public("page", "read", "打开指挥中心页面"),
        grant("board", "read", "查看指挥大屏", Role.COUNTY_OPERATOR, Role.SCHOOL_HEAD),
    ],
)


def admit(resource: str, action: str) -> Any:
    """Return the dependency admitting callers of one row (for a route's `dependencies`)."""
    return ACCESS.admit(resource, action)
