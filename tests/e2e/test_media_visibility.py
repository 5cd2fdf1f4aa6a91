"""A photo is visible exactly to those who may see what it is attached to, on the running
platform: before it is attached, its uploader only; a photo of a report (the one that opened a
hazard or one that joined it) or of a rectification, to whoever may see that hazard (the
managers whose subtree holds it; the teachers who reported it, joined it or must rectify it
now) and to the liaisons of an agency it was referred to. Anyone else is answered 404, as the
case service answers them for the hazard itself."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.support.client import ApiClient
from tests.support.photos import stored_photo
from tests.support.platform import Platform
from tests.support.school import PASSWORD, School, hazard, new_school, report
from tests.support.waiting import wait_until


async def view(user: ApiClient, media_id: str) -> httpx.Response:
    return await user.get("media_storage", f"/v1/media/{media_id}")


async def sees(user: ApiClient, media_id: str) -> dict[str, Any]:
    """Wait until `user` is given the photo with its URLs (events may still be on their way)."""

    async def probe() -> dict[str, Any] | None:
        answer = await view(user, media_id)
        return dict(answer.json()) if answer.status_code == 200 else None

    seen = await wait_until(probe, timeout=60, what=f"photo {media_id} to be visible")
    assert seen["view_url"]
    assert seen["thumbnail_url"]
    return seen


async def refused(user: ApiClient, media_id: str) -> None:
    """Assert that `user` is answered 404 for the photo, with nothing of it."""
    answer = await view(user, media_id)
    assert answer.status_code == 404, answer.text
    assert answer.json()["error"]["code"] == "not_found"
    assert "view_url" not in answer.text


async def loses(user: ApiClient, media_id: str) -> None:
    """Wait until `user` is answered 404 for the photo (a step on its way takes it away)."""

    async def probe() -> bool:
        return (await view(user, media_id)).status_code == 404

    await wait_until(probe, timeout=60, what=f"photo {media_id} to be withdrawn")


async def teacher_of(admin: ApiClient, school: School, name: str) -> tuple[ApiClient, str]:
    """Give the school's zone another teacher with a log-in; return it and their person id."""
    username = f"{name}-{school.tag}"
    body = {
        "name": f"{name}{school.tag}",
        "grid_id": school.zone_id,
        "post": "教师",
        "account": {"username": username, "password": PASSWORD, "role": "teacher"},
    }
    made = await admin.post("grid_registry", "/v1/people", body)
    assert made.status_code == 201, made.text
    return await school.login(admin, username), str(made.json()["person_id"])


async def act(user: ApiClient, hazard_id: str, body: dict[str, Any]) -> None:
    answer = await user.post("hazard_cases", f"/v1/hazards/{hazard_id}/actions", body)
    assert answer.status_code == 200, answer.text


@pytest.fixture
async def school(admin: ApiClient) -> School:
    """A fresh school whose repeated reports join the open hazard (the test platform's default
    window is 0: every report opens its own)."""
    made = await new_school(admin)
    policy = await admin.http.put(
        f"{admin.platform.url('hazard_cases')}/v1/deadline-policies/{made.school_id}",
        json={"duplicate_window_hours": 24},
        headers=admin.headers,
    )
    assert policy.status_code == 200, policy.text
    return made


async def test_a_hazards_photos_follow_who_may_see_the_hazard(
    admin: ApiClient, school: School
) -> None:
    head = await school.login(admin, school.head)
    keeper = await school.login(admin, school.keeper)  # answers for the point: the assignee
    zone_head = await school.login(admin, school.zone_head)  # a teacher of the zone, no more
    reporter, _ = await teacher_of(admin, school, "reporter")
    joiner, _ = await teacher_of(admin, school, "joiner")

    # Before it is attached to anything: its uploader only.
    loose = await stored_photo(reporter)
    await sees(reporter, loose)
    for other in (admin, head, keeper, zone_head):
        await refused(other, loose)

    finding = await stored_photo(reporter)
    hazard_id = await report(reporter, school, "消防通道堆放纸箱", photo_ids=[finding])
    opened = await hazard(admin, hazard_id, status="assigned")
    assert opened["assignee"]["person_id"] == school.people[school.keeper]
    seen = await sees(head, finding)
    assert (seen["report_id"], seen["hazard_id"]) == (hazard_id, hazard_id)
    for allowed in (admin, reporter, keeper):
        await sees(allowed, finding)
    # A teacher whose zone holds it but who did not report, join or get it: 404, as the
    # case service answers them for the hazard.
    assert (await zone_head.get("hazard_cases", f"/v1/hazards/{hazard_id}")).status_code == 404
    for other in (zone_head, joiner):
        await refused(other, finding)
    await sees(reporter, loose)  # still nobody's but its uploader's
    await refused(head, loose)

    # A teacher who joins it with a report of their own sees its photos, and theirs joins it.
    joined = await stored_photo(joiner)
    await report(joiner, school, "通道里纸箱越堆越多", photo_ids=[joined])
    await sees(joiner, finding)
    assert (await sees(head, joined))["hazard_id"] == hazard_id
    for allowed in (admin, reporter, keeper):
        await sees(allowed, joined)
    await refused(zone_head, joined)

    # Given to someone else, it is theirs to see, and no longer the former assignee's.
    person_id = school.people[school.zone_head]
    await act(head, hazard_id, {"action": "assign", "person_id": person_id})
    await sees(zone_head, finding)
    await sees(zone_head, joined)
    await loses(keeper, finding)
    await refused(keeper, joined)

    # Rectification evidence follows the same rule.
    await act(zone_head, hazard_id, {"action": "accept"})
    evidence = await stored_photo(zone_head, "rectification")
    await act(
        zone_head,
        hazard_id,
        {"action": "submit_rectification", "note": "已清理", "photo_ids": [evidence]},
    )
    assert (await sees(head, evidence))["purpose"] == "rectification"
    for allowed in (admin, reporter, joiner, zone_head):
        await sees(allowed, evidence)
    await refused(keeper, evidence)


async def test_an_agency_sees_the_photos_of_hazards_referred_to_it_only(
    platform: Platform, http: httpx.AsyncClient, admin: ApiClient, school: School
) -> None:
    # The demo police station takes campus security in the demo county; a market regulator of
    # our own takes fire.
    police = await ApiClient.login(platform, http, "demo-police")
    tag = uuid.uuid4().hex[:6]
    created = await admin.post(
        "agency_integration",
        "/v1/agencies",
        {"name": f"城关市场监管所{tag}", "kind": "market_regulation", "categories": ["fire"]},
    )
    assert created.status_code == 201, created.text
    person = {"name": f"监管联络员{tag}", "grid_id": "demo-county", "post": "联络员"}
    login = {"username": f"market-{tag}", "password": PASSWORD, "role": "agency"}
    account = {**login, "agency_id": created.json()["agency_id"]}
    tied = await admin.post("grid_registry", "/v1/people", {**person, "account": account})
    assert tied.status_code == 201, tied.text
    regulator = await ApiClient.login(platform, http, login["username"], PASSWORD)

    keeper = await school.login(admin, school.keeper)
    loose = await stored_photo(keeper)
    security_photo, fire_photo = await stored_photo(keeper), await stored_photo(keeper)
    security = await report(
        keeper,
        school,
        "校门口有人兜售管制刀具",
        category="campus_security",
        photo_ids=[security_photo],
    )
    fire = await report(keeper, school, "实验楼灭火器过期", category="fire", photo_ids=[fire_photo])
    # Each hazard's photo is shown once the hazard is known and referred to the agency.
    for agency, hazard_id, media_id in (
        (police, security, security_photo),
        (regulator, fire, fire_photo),
    ):
        assert (await sees(agency, media_id))["hazard_id"] == hazard_id
        referred = await agency.get("agency_integration", f"/v1/hazards/{hazard_id}/dispositions")
        assert referred.status_code == 200, referred.text
    # Each agency reaches only what was referred to it.
    await sees(admin, security_photo)
    await sees(admin, fire_photo)
    await refused(regulator, security_photo)
    await refused(police, fire_photo)
    for agency in (police, regulator):
        await refused(agency, loose)

    # Rectification evidence of a referred hazard is theirs to see too.
    await act(keeper, security, {"action": "accept"})
    evidence = await stored_photo(keeper, "rectification")
    body = {"action": "submit_rectification", "note": "已驱离", "photo_ids": [evidence]}
    await act(keeper, security, body)
    await sees(police, evidence)
    await sees(admin, evidence)
    await refused(regulator, evidence)

    # Liaisons upload nothing: the role is refused before anything is read.
    slot = await police.post(
        "media_storage", "/v1/uploads", {"content_type": "image/jpeg", "size_bytes": 1000}
    )
    assert slot.status_code == 403, slot.text
    assert slot.json()["error"]["code"] == "forbidden"
    assert (await police.post("media_storage", f"/v1/media/{loose}/confirm")).status_code == 403
