"""The agency service's rows of the authorization matrix (README, "Authorization"): county
operators register agencies and oversee what was referred in their subtree; an agency's
liaisons read their own agency and its referrals, and answer them. Every route declares one of
them with `admit`; which agency and which hazards each reaches is decided where they are read
(404 for another agency's).
"""

from __future__ import annotations

from typing import Any

from shared.auth.access import AccessTable, grant
from shared.vocabulary import Role

CO, AG = Role.COUNTY_OPERATOR, Role.AGENCY

ACCESS = AccessTable(
    "agency_integration",
    [
        grant("agencies", "register", "登记外部单位", CO),
        grant("agencies", "read", "查看外部单位", CO, AG),
        grant("referrals", "read", "查看推送给外部单位的隐患", CO, AG),
        grant("dispositions", "record", "反馈处置情况", AG),
        grant("dispositions", "read", "查看处置反馈", CO, AG),
    ],
)


def admit(resource: str, action: str) -> Any:
    """Return the dependency admitting callers of one row (for a route's `dependencies`)."""
    return ACCESS.admit(resource, action)
