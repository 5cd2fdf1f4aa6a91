"""A second report on the same point and category joins the open hazard instead of opening
another: its reporter is told, and its photo becomes visible to the hazard's managers."""

from __future__ import annotations

import httpx
import pytest

from tests.support.client import ApiClient
from tests.support.photos import stored_photo
from tests.support.school import School, hazard, new_school, notice, report
from tests.support.waiting import wait_until

WINDOW_HOURS = 24


@pytest.fixture
async def school(admin: ApiClient) -> School:
    made = await new_school(admin)
    policy = await admin.http.put(
        f"{admin.platform.url('hazard_cases')}/v1/deadline-policies/{made.school_id}",
        json={"duplicate_window_hours": WINDOW_HOURS},
        headers=admin.headers,
    )
    assert policy.status_code == 200, policy.text
    return made


async def test_a_second_report_joins_the_open_hazard_and_its_photo_follows(
    admin: ApiClient, school: School
) -> None:
    keeper = await school.login(admin, school.keeper)
    zone_head = await school.login(admin, school.zone_head)
    head = await school.login(admin, school.head)
    first = await report(keeper, school, "消防通道堆放纸箱")
    await hazard(admin, first, status="assigned")

    photo = await stored_photo(zone_head)
    second = await report(zone_head, school, "通道里纸箱越堆越多", photo_ids=[photo])

    async def joined() -> dict[str, object] | None:
        body = (await admin.get("hazard_cases", f"/v1/hazards/{first}")).json()
        linked = [r for r in body["linked_reports"] if r["report_id"] == second]
        return body if linked else None

    target = await wait_until(joined, timeout=60, what="the second report to join the first")
    assert target["status"] == "assigned"  # joining changes nothing of the hazard's own loop
    # No second hazard was opened for it.
    assert (await admin.get("hazard_cases", f"/v1/hazards/{second}")).status_code == 404
    told = await notice(zone_head, first, "report_linked")
    assert "已并入" in told["body_zh"]

    async def head_sees_photo() -> httpx.Response | None:
        answer = await head.get("media_storage", f"/v1/media/{photo}")
        return answer if answer.status_code == 200 else None

    seen = (await wait_until(head_sees_photo, timeout=60, what="the photo to join")).json()
    assert seen["report_id"] == second


async def test_an_open311_request_that_joins_a_hazard_follows_it_to_closure(
    admin: ApiClient, school: School, http: httpx.AsyncClient
) -> None:
    keeper = await school.login(admin, school.keeper)
    head = await school.login(admin, school.head)
    first = await report(keeper, school, "消防通道堆放纸箱")
    await hazard(admin, first, status="assigned")
    client = await admin.post(
        "hazard_intake",
        "/v1/open311/clients",
        {"name": "12345市民服务热线", "jurisdiction_id": school.school_id},
    )
    assert client.status_code == 201, client.text
    open311 = f"{admin.platform.url('hazard_intake')}/open311/v2"
    filed = await http.post(
        f"{open311}/requests.json",
        data={
            "api_key": client.json()["api_key"],
            "service_code": "fire",
            "description": "市民反映学校消防通道被堵",
            "attribute[point_id]": school.point_id,
        },
    )
    assert filed.status_code == 201, filed.text
    request_id = filed.json()[0]["service_request_id"]

    async def shown(notes: str) -> dict[str, object] | None:
        answer = await http.get(f"{open311}/requests/{request_id}.json")
        body = answer.json()[0] if answer.status_code == 200 else {}
        return body if notes in str(body.get("status_notes")) else None

    joined = await wait_until(lambda: shown("已并入"), timeout=60, what="the request to join")
    assert joined["status"] == "open"
    assert "已分派" in str(joined["status_notes"])

    for actor, body in (
        (keeper, {"action": "accept"}),
        (
            keeper,
            {
                "action": "submit_rectification",
                "note": "已清理",
                "photo_ids": [await stored_photo(keeper, "rectification")],
            },
        ),
        (head, {"action": "verify"}),
    ):
        answer = await actor.post("hazard_cases", f"/v1/hazards/{first}/actions", body)
        assert answer.status_code == 200, answer.text
    closed = await wait_until(lambda: shown("已销号"), timeout=60, what="the request to close")
    assert closed["status"] == "closed"


async def test_the_verifier_is_asked_to_verify_and_told_when_the_problem_is_reported_again(
    admin: ApiClient, school: School
) -> None:
    keeper = await school.login(admin, school.keeper)
    zone_head = await school.login(admin, school.zone_head)
    head = await school.login(admin, school.head)
    first = await report(keeper, school, "消防通道堆放纸箱")
    await hazard(admin, first, status="assigned")
    evidence = await stored_photo(keeper, "rectification")
    for body in (
        {"action": "accept"},
        {"action": "submit_rectification", "note": "纸箱已清走", "photo_ids": [evidence]},
    ):
        answer = await keeper.post("hazard_cases", f"/v1/hazards/{first}/actions", body)
        assert answer.status_code == 200, answer.text
    # The school's head verifies (the zone's head is a teacher, who may not).
    asked = await notice(head, first, "hazard_to_verify")
    assert asked["title_zh"] == "隐患已整改，请验收"
    waiting = await hazard(head, first, status="rectified")
    assert waiting["verifier"]["person_id"] == school.people[school.head]

    # While it waits, someone finds the boxes back: the report joins, and the head hears it
    # before closing the hazard on the rectifier's word.
    second = await report(zone_head, school, "消防通道又堆满了纸箱")
    again = await notice(head, first, "hazard_reported_again")
    assert again["title_zh"] == "待验收的隐患又有人上报，请现场核实后再验收"
    assert "消防通道又堆满了纸箱" in again["body_zh"]
    joined = await hazard(admin, first, status="rectified")
    assert second in [r["report_id"] for r in joined["linked_reports"]]
    zone_inbox = (await zone_head.get("notifications", "/v1/notifications")).json()["items"]
    assert not [n for n in zone_inbox if n["kind"] in ("hazard_to_verify", "hazard_reported_again")]
