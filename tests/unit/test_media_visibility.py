"""Who may see a photo's hazard, as media storage decides from its copy: the case service's
rule (managers their subtree; teachers what they reported, joined or must rectify) and the
agencies it was referred to, inside the liaison's subtree."""

from __future__ import annotations

from typing import Any

import pytest

from services.hazard_cases.hazards import visibility as cases
from services.hazard_cases.hazards.linked import MAX_REPORTER_IDS
from services.media_storage.hazards import repository
from services.media_storage.hazards.visibility import sees
from shared.auth import Principal
from shared.vocabulary import Role

PATH = "/c/t/s/z/"
HAZARD = {
    "_id": "h1",
    "grid_path": PATH,
    "reporter_id": "reporter",
    "assignee_id": "assignee",
    "joined_reporter_ids": ["joiner"],
}
REFERRAL = {"_id": "h1|police", "hazard_id": "h1", "agency_id": "police", "grid_path": PATH}


def caller(user_id: str, role: Role, scope: str, agency_id: str | None = None) -> Principal:
    return Principal(
        user_id=user_id,
        username=user_id,
        name=user_id,
        roles=frozenset({role}),
        scope=(scope,),
        agency_id=agency_id,
    )


def as_the_case_service_keeps_it(hazard: dict[str, Any]) -> dict[str, Any]:
    """The same hazard as the case service's document holds it."""
    return {
        "_id": hazard["_id"],
        "grid_path": hazard["grid_path"],
        "reporter": {"person_id": hazard["reporter_id"]},
        "assignee": {"person_id": hazard["assignee_id"]} if hazard["assignee_id"] else None,
        "linked_reporter_ids": hazard["joined_reporter_ids"],
    }


CALLERS = {
    "county operator": caller("operator", Role.COUNTY_OPERATOR, "/c/"),
    "head of its school": caller("head", Role.SCHOOL_HEAD, "/c/t/s/"),
    "head of another school": caller("other-head", Role.SCHOOL_HEAD, "/c/t/s2/"),
    "reporter": caller("reporter", Role.TEACHER, "/c/t/s2/z/"),
    "assignee": caller("assignee", Role.TEACHER, "/c/t/s2/z/"),
    "teacher who joined": caller("joiner", Role.TEACHER, "/c/t/s2/z/"),
    "teacher of its zone": caller("zone-teacher", Role.TEACHER, PATH),
    "liaison of its agency": caller("officer", Role.AGENCY, "/c/t/", "police"),
    "liaison elsewhere": caller("officer2", Role.AGENCY, "/c/t2/", "police"),
    "liaison of another agency": caller("officer3", Role.AGENCY, "/c/", "market"),
}
SEES = {
    "county operator",
    "head of its school",
    "reporter",
    "assignee",
    "teacher who joined",
    "liaison of its agency",
}


@pytest.mark.parametrize("who", CALLERS)
def test_each_caller_sees_the_hazard_exactly_when_the_rule_says(who: str) -> None:
    referral = REFERRAL if CALLERS[who].agency_id == "police" else None
    assert sees(CALLERS[who], HAZARD, referral) == (who in SEES)


@pytest.mark.parametrize("who", [w for w in CALLERS if not w.startswith("liaison")])
def test_staff_see_what_the_case_service_shows_them(who: str) -> None:
    principal = CALLERS[who]
    assert sees(principal, HAZARD, None) == cases.can_see(
        principal, as_the_case_service_keeps_it(HAZARD)
    )


def test_a_liaison_sees_no_hazard_without_its_referral() -> None:
    assert not sees(CALLERS["liaison of its agency"], HAZARD, None)
    # A referral to another agency is not the caller's, whatever it reads.
    assert not sees(CALLERS["liaison of another agency"], HAZARD, REFERRAL)


def test_nothing_is_seen_of_a_hazard_not_known_yet() -> None:
    for principal in CALLERS.values():
        assert not sees(principal, None, None)


def test_a_former_assignee_no_longer_sees_the_hazard() -> None:
    assert not sees(CALLERS["assignee"], {**HAZARD, "assignee_id": None}, None)
    assert not sees(CALLERS["assignee"], {**HAZARD, "assignee_id": "someone-else"}, None)


def test_the_bound_on_joined_reporters_is_the_case_services() -> None:
    assert repository.MAX_JOINED_REPORTERS == MAX_REPORTER_IDS
