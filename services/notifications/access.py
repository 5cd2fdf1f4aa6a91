"""The inbox's rows of the authorization matrix (README, "Authorization"): every person with a
log-in reads and marks their own notifications, and only their own (404 for anyone else's).
Every route declares one of them with `admit`.
"""

from __future__ import annotations

from typing import Any

from shared.auth.access import EVERY_ROLE, AccessTable, grant

ACCESS = AccessTable(
    "notifications",
    [
        grant("own notifications", "read", "查看本人通知", *EVERY_ROLE),
        grant("own notifications", "mark read", "标记本人通知已读", *EVERY_ROLE),
    ],
)


def admit(resource: str, action: str) -> Any:
    """Return the dependency admitting callers of one row (for a route's `dependencies`)."""
    return ACCESS.admit(resource, action)
