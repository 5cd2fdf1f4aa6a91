"""Who may see a hazard's photos: whoever may see the hazard, by the case service's rule
(services/hazard_cases/hazards/visibility.py), and the agencies it was referred to.

- county operators and school heads: a hazard whose grid lies in their subtree;
- teachers: a hazard they reported, must rectify now, or joined (the first 2,000 who joined);
- agency liaisons: a hazard referred to their agency, inside their log-in's subtree (as agency
  integration lets them answer it).

What is not known yet (events still on their way) is seen by nobody.
"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.media_storage.hazards import repository
from shared.auth import Principal
from shared.vocabulary import Role

Document = dict[str, Any]


def sees(principal: Principal, hazard: Document | None, referral: Document | None) -> bool:
    """Tell whether the caller may see a hazard, given media storage's copy of it and of its
    referral to the caller's agency (None: not known, or not referred there)."""
    if (
        referral is not None
        and principal.has_role(Role.AGENCY)
        and referral["agency_id"] == principal.agency_id
        and principal.covers(referral["grid_path"])
    ):
        return True
    if hazard is None:
        return False
    if principal.has_role(Role.COUNTY_OPERATOR, Role.SCHOOL_HEAD) and principal.covers(
        hazard.get("grid_path")
    ):
        return True
    if principal.has_role(Role.TEACHER):
        people = {hazard.get("reporter_id"), hazard.get("assignee_id")}
        return principal.user_id in people or principal.user_id in hazard.get(
            "joined_reporter_ids", []
        )
    return False


async def can_see(db: AsyncDatabase[Document], principal: Principal, hazard_id: str) -> bool:
    """Tell whether the caller may see the hazard `hazard_id` (reading only what the caller's
    roles need)."""
    referral = None
    if principal.has_role(Role.AGENCY) and principal.agency_id:
        referral = await repository.get_referral(db, hazard_id, principal.agency_id)
    hazard = None
    if principal.has_role(Role.COUNTY_OPERATOR, Role.SCHOOL_HEAD, Role.TEACHER):
        hazard = await repository.get(db, hazard_id)
    return sees(principal, hazard, referral)
