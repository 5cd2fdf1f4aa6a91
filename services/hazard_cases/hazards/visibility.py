"""Who may see which hazard: managers their subtree; teachers what they reported or must fix."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.auth import Principal, scope_filter
from shared.vocabulary import Role

Document = dict[str, Any]


def visibility_filter(principal: Principal) -> Document:
    """Return the filter of the hazards a caller may see (none for roles not admitted to
    hazards at all: access.py answers those 403 first)."""
    if principal.has_role(Role.COUNTY_OPERATOR, Role.SCHOOL_HEAD):
        return scope_filter(principal)
    if principal.has_role(Role.TEACHER):
        # A teacher sees what they reported (or reported again), and what they must fix.
        return {
            "$or": [
                {"reporter.person_id": principal.user_id},
                {"assignee.person_id": principal.user_id},
                {"linked_reporter_ids": principal.user_id},
            ]
        }
    return {"_id": {"$in": []}}


def can_see(principal: Principal, doc: Mapping[str, Any]) -> bool:
    """Tell whether the caller may see one hazard (the same rule as `visibility_filter`)."""
    if principal.has_role(Role.COUNTY_OPERATOR, Role.SCHOOL_HEAD) and principal.covers(
        doc["grid_path"]
    ):
        return True
    if principal.has_role(Role.TEACHER):
        people = {(doc.get(role) or {}).get("person_id") for role in ("reporter", "assignee")}
        return principal.user_id in people or principal.user_id in doc.get(
            "linked_reporter_ids", []
        )
    return False
