"""Media storage's rows of the authorization matrix (README, "Authorization"): the staff of
schools and the county upload photos (for their reports and rectifications); they and agency
liaisons view them. Every route declares one of them with `admit`.

Which photo each may view is decided where it is read (`hazards/visibility.py`): its uploader
always; once attached, whoever may see the hazard it belongs to (404 for anyone else).
"""

from __future__ import annotations

from typing import Any

from shared.auth.access import AccessTable, grant
from shared.vocabulary import Role

CO, SH, T, AG = Role.COUNTY_OPERATOR, Role.SCHOOL_HEAD, Role.TEACHER, Role.AGENCY

ACCESS = AccessTable(
    "media_storage",
    [
        grant("photos", "upload", "上传照片", CO, SH, T),
        grant("photos", "view", "查看照片", CO, SH, T, AG),
    ],
)


def admit(resource: str, action: str) -> Any:
    """Return the dependency admitting callers of one row (for a route's `dependencies`)."""
    return ACCESS.admit(resource, action)
