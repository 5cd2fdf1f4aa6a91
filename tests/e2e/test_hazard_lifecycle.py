"""The closed loop over HTTP: every state, every illegal step refused with the allowed ones,
verification by someone else, reopening, merging, interim measures, and the timeline."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.support.client import ApiClient
from tests.support.photos import stored_photo
from tests.support.platform import Platform
from tests.support.school import School, hazard, new_school, notice, report
from tests.support.waiting import wait_until

ALL_ACTIONS = [
    {"action": "assign", "person_id": "x"},
    {"action": "accept"},
    {"action": "submit_rectification", "note": "已整改", "photo_ids": ["p1"]},
    {"action": "verify"},
    {"action": "fail_verification", "reason": "未整改到位"},
    {"action": "reopen", "reason": "问题复现"},
    {"action": "reject", "reason": "不是隐患"},
    {"action": "merge", "into_hazard_id": "x"},
    {
        "action": "record_interim",
        "measures": "设置围挡",
        "requested_deadline": "2099-01-01T00:00:00Z",
    },
    {"action": "approve_extension"},
    {"action": "supervise", "note": "请尽快整改"},
]
# What each status allows (the lifecycle table, as the API must enforce it).
ALLOWED = {
    "assigned": {"accept", "assign", "reject", "merge", "supervise"},
    "rectifying": {
        "submit_rectification",
        "record_interim",
        "approve_extension",
        "assign",
        "merge",
        "supervise",
    },
    "rectified": {"verify", "fail_verification"},
    "closed": {"reopen"},
    "rejected": set(),
    "merged": set(),
}


async def act(client: ApiClient, hazard_id: str, body: dict[str, Any]) -> httpx.Response:
    return await client.post("hazard_cases", f"/v1/hazards/{hazard_id}/actions", body)


async def ok(client: ApiClient, hazard_id: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await act(client, hazard_id, body)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def assert_only_allowed(admin: ApiClient, hazard_id: str, status: str) -> None:
    """Every action the status does not allow answers 409 and lists exactly the allowed ones."""
    for body in ALL_ACTIONS:
        if body["action"] in ALLOWED[status]:
            continue
        response = await act(admin, hazard_id, body)
        assert response.status_code == 409, (status, body["action"], response.text)
        error = response.json()["error"]
        assert error["code"] == "illegal_transition"
        assert {d["code"] for d in error["details"]} == ALLOWED[status]
        assert "不能" in error["message_zh"]


@pytest.fixture
async def school(admin: ApiClient) -> School:
    return await new_school(admin)


async def test_a_hazard_walks_every_state_and_refuses_every_illegal_step(
    admin: ApiClient, school: School
) -> None:
    keeper = await school.login(admin, school.keeper)
    head = await school.login(admin, school.head)
    hazard_id = await report(keeper, school, "三楼消防通道堆放纸箱")
    found = await hazard(admin, hazard_id, status="assigned")
    assert found["assignee"]["person_id"] == school.people[school.keeper]
    assert found["major"] is True  # a red point
    deadline = datetime.fromisoformat(found["rectify_by"])
    reported = datetime.fromisoformat(found["reported_at"])
    assert deadline - reported == timedelta(hours=24)
    await assert_only_allowed(admin, hazard_id, "assigned")

    # A teacher cannot set fields directly (mass assignment): only the action's own fields.
    sneaky = await act(keeper, hazard_id, {"action": "accept", "status": "closed"})
    assert sneaky.status_code == 422
    assert sneaky.json()["error"]["details"][0]["field"] == "accept.status"
    # Managing actions are not the assignee's to take.
    assert (
        await act(keeper, hazard_id, {"action": "reject", "reason": "不想管"})
    ).status_code == 403

    await ok(keeper, hazard_id, {"action": "accept", "note": "马上处理"})
    await assert_only_allowed(admin, hazard_id, "rectifying")
    no_photo = await act(keeper, hazard_id, {"action": "submit_rectification", "note": "已清理"})
    assert no_photo.status_code == 422
    assert no_photo.json()["error"]["details"][0]["field"] == "submit_rectification.photo_ids"
    after = await stored_photo(keeper, "rectification")
    rectified = await ok(
        keeper,
        hazard_id,
        {"action": "submit_rectification", "note": "纸箱已清走", "photo_ids": [after]},
    )
    assert rectified["status"] == "rectified"
    assert rectified["rectification_photo_ids"] == [after]
    await assert_only_allowed(admin, hazard_id, "rectified")

    failed = await ok(head, hazard_id, {"action": "fail_verification", "reason": "楼梯口仍有杂物"})
    assert failed["status"] == "rectifying"
    assert failed["reopen_count"] == 1
    await ok(
        keeper,
        hazard_id,
        {
            "action": "submit_rectification",
            "note": "楼梯口也已清理",
            "photo_ids": [await stored_photo(keeper, "rectification")],
        },
    )
    closed = await ok(head, hazard_id, {"action": "verify", "note": "现场复查通过"})
    assert closed["status"] == "closed"
    # The reporter hears how it ended; the board shows it closed.
    told = await notice(keeper, hazard_id, "hazard_closed")
    assert told["title_zh"] == "您上报的隐患已整改验收，销号"
    await wait_until(
        lambda: _on_board(admin, hazard_id, "closed"), timeout=60, what="the board to show it"
    )
    await assert_only_allowed(admin, hazard_id, "closed")
    reopened = await ok(admin, hazard_id, {"action": "reopen", "reason": "纸箱又堆回来了"})
    assert reopened["status"] == "rectifying"
    assert datetime.fromisoformat(reopened["rectify_by"]) > datetime.now(UTC)

    # The timeline reads, in Chinese, who did what in order; nothing was rewritten.
    timeline = reopened["timeline"]
    assert [entry["action"] for entry in timeline] == [
        "reported",
        "assigned",
        "accept",
        "submit_rectification",
        "fail_verification",
        "submit_rectification",
        "verify",
        "reopen",
    ]
    notes = [entry["note_zh"] for entry in timeline]
    assert "验收不通过，退回重新整改：楼梯口仍有杂物" in notes[4]
    assert "验收通过，销号" in notes[6]
    assert "重新打开隐患（问题复现）：纸箱又堆回来了" in notes[7]
    assert all(
        entry["responsible"]["person_id"] == school.people[school.keeper] for entry in timeline
    )
    assert [e["status"] for e in timeline][-3:] == ["rectified", "closed", "rectifying"]


async def test_a_rectification_names_only_stored_photos_of_the_rectifier(
    admin: ApiClient, school: School
) -> None:
    keeper = await school.login(admin, school.keeper)
    head = await school.login(admin, school.head)
    hazard_id = await report(keeper, school, "操场围栏断裂")
    await hazard(admin, hazard_id, status="assigned")
    await ok(keeper, hazard_id, {"action": "accept"})
    made_up = "0123456789abcdef0123456789abcdef"  # shaped like a media id, never uploaded
    someone_elses = await stored_photo(head, "rectification")
    a_finding = await stored_photo(keeper, "finding")
    for photo_ids in (["after-1"], [made_up], [someone_elses], [a_finding]):
        body = {"action": "submit_rectification", "note": "已修复", "photo_ids": photo_ids}
        refused = await act(keeper, hazard_id, body)
        assert refused.status_code == 422, (photo_ids, refused.text)
        (detail,) = refused.json()["error"]["details"]
        assert detail["field"] == "photo_ids"
        assert "整改照片不存在" in detail["message_zh"]
    # Nothing changed: the hazard still waits for its evidence.
    assert (await hazard(admin, hazard_id))["status"] == "rectifying"

    # A photo sent the moment its upload is confirmed counts.
    own = await stored_photo(keeper, "rectification")
    body = {"action": "submit_rectification", "note": "已修复", "photo_ids": [own]}
    assert (await ok(keeper, hazard_id, body))["rectification_photo_ids"] == [own]


async def test_the_rectifier_cannot_verify_their_own_work(admin: ApiClient, school: School) -> None:
    head = await school.login(admin, school.head)
    keeper = await school.login(admin, school.keeper)
    hazard_id = await report(keeper, school, "配电箱门锁损坏")
    await hazard(admin, hazard_id, status="assigned")
    # The head takes the hazard on themself, fixes it, and tries to sign it off.
    await ok(head, hazard_id, {"action": "assign", "person_id": school.people[school.head]})
    await ok(head, hazard_id, {"action": "accept"})
    await ok(
        head,
        hazard_id,
        {
            "action": "submit_rectification",
            "note": "已换锁",
            "photo_ids": [await stored_photo(head, "rectification")],
        },
    )
    refused = await act(head, hazard_id, {"action": "verify"})
    assert refused.status_code == 403
    assert "整改人不能验收自己的整改" in refused.json()["error"]["message_zh"]
    closed = await ok(admin, hazard_id, {"action": "verify"})
    assert closed["status"] == "closed"


async def test_reject_merge_and_an_extension_approved_by_the_level_above(
    admin: ApiClient, school: School
) -> None:
    keeper = await school.login(admin, school.keeper)
    head = await school.login(admin, school.head)
    first = await report(keeper, school, "围墙裂缝")
    second = await report(keeper, school, "围墙有裂缝（重复）")
    third = await report(keeper, school, "学生误报")
    for hazard_id in (first, second, third):
        await hazard(admin, hazard_id, status="assigned")

    rejected = await ok(head, third, {"action": "reject", "reason": "经核实为正常伸缩缝"})
    assert rejected["status"] == "rejected"
    await assert_only_allowed(admin, third, "rejected")

    unknown = await act(head, second, {"action": "merge", "into_hazard_id": "no-such"})
    assert unknown.status_code == 422
    assert unknown.json()["error"]["details"][0]["field"] == "into_hazard_id"
    merged = await ok(head, second, {"action": "merge", "into_hazard_id": first})
    assert (merged["status"], merged["merged_into"]) == ("merged", first)
    await assert_only_allowed(admin, second, "merged")
    target = await wait_until(
        lambda: _linked(admin, first, second), timeout=60, what="the merge noted on the target"
    )
    assert "合并到本隐患" in target["timeline"][-1]["note_zh"]

    await ok(keeper, first, {"action": "accept"})
    wanted = (datetime.now(UTC) + timedelta(days=10)).replace(microsecond=0)
    asked = await ok(
        keeper,
        first,
        {
            "action": "record_interim",
            "measures": "设置警戒线，禁止学生靠近",
            "requested_deadline": wanted.isoformat(),
        },
    )
    assert asked["interim_measures"] == "设置警戒线，禁止学生靠近"
    assert (await act(keeper, first, {"action": "approve_extension"})).status_code == 403
    approved = await ok(head, first, {"action": "approve_extension", "note": "同意"})
    assert datetime.fromisoformat(approved["rectify_by"]) == wanted
    assert approved["extension_request"] is None
    again = await act(head, first, {"action": "approve_extension"})
    assert again.status_code == 422, "nothing is waiting for approval any more"


async def _on_board(admin: ApiClient, hazard_id: str, status: str) -> bool:
    rows = (await admin.get("command_centre", "/v1/board", limit=200)).json()["rows"]
    return any(r["hazard_id"] == hazard_id and r["status"] == status for r in rows)


async def _linked(admin: ApiClient, hazard_id: str, linked: str) -> dict[str, Any] | None:
    body = (await admin.get("hazard_cases", f"/v1/hazards/{hazard_id}")).json()
    return body if any(r["report_id"] == linked for r in body["linked_reports"]) else None


async def test_out_of_scope_hazards_answer_404_and_retries_replay(
    admin: ApiClient, school: School, platform: Platform, http: httpx.AsyncClient
) -> None:
    keeper = await school.login(admin, school.keeper)
    hazard_id = await report(keeper, school, "消防栓被遮挡")
    await hazard(admin, hazard_id, status="assigned")
    other = await new_school(admin)
    stranger = await other.login(admin, other.head)
    assert (await stranger.get("hazard_cases", f"/v1/hazards/{hazard_id}")).status_code == 404
    assert (
        await act(stranger, hazard_id, {"action": "reject", "reason": "越权"})
    ).status_code == 404

    key = uuid.uuid4().hex
    body = {"action": "accept"}
    first = await keeper.post("hazard_cases", f"/v1/hazards/{hazard_id}/actions", body, key=key)
    retry = await keeper.post("hazard_cases", f"/v1/hazards/{hazard_id}/actions", body, key=key)
    assert first.status_code == retry.status_code == 200
    assert first.json() == retry.json()
    # Nobody may rewrite history: there is no route that edits or deletes timeline entries.
    for method in ("PUT", "PATCH", "DELETE"):
        response = await admin.http.request(
            method,
            f"{platform.url('hazard_cases')}/v1/hazards/{hazard_id}",
            headers=admin.headers,
        )
        assert response.status_code == 405
