"""The lists a school reports upward: open, overdue (by how late), closed in a period, and the
same as an Excel workbook with Chinese headers."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from openpyxl import load_workbook

from tests.support.client import ApiClient
from tests.support.photos import stored_photo
from tests.support.school import School, hazard, new_school, report
from tests.support.waiting import wait_until

# Red hazards of this school are due 3.6 seconds after they are reported.
FAST = {
    "grades": {
        grade: {"rectify_hours": 0.001, "acknowledge_hours": 500, "escalate_every_hours": 500}
        for grade in ("red", "orange", "yellow", "blue")
    }
}


async def act(client: ApiClient, hazard_id: str, body: dict[str, Any]) -> None:
    response = await client.post("hazard_cases", f"/v1/hazards/{hazard_id}/actions", body)
    assert response.status_code == 200, response.text


async def a_list(client: ApiClient, kind: str, **params: Any) -> httpx.Response:
    return await client.get("hazard_cases", f"/v1/hazard-lists/{kind}", **params)


async def test_open_overdue_and_closed_lists_and_their_excel_export(admin: ApiClient) -> None:
    school: School = await new_school(admin)
    policy = await admin.http.put(
        f"{admin.platform.url('hazard_cases')}/v1/deadline-policies/{school.school_id}",
        json=FAST,
        headers=admin.headers,
    )
    assert policy.status_code == 200, policy.text
    keeper = await school.login(admin, school.keeper)
    head = await school.login(admin, school.head)
    fixed = await report(keeper, school, "楼梯扶手松动")
    late = await report(keeper, school, "应急灯不亮")
    wrong = await report(keeper, school, "误报")
    for hazard_id in (fixed, late, wrong):
        await hazard(admin, hazard_id, status="assigned")
    await act(keeper, fixed, {"action": "accept"})
    await act(
        keeper,
        fixed,
        {
            "action": "submit_rectification",
            "note": "已紧固",
            "photo_ids": [await stored_photo(keeper, "rectification")],
        },
    )
    await act(head, fixed, {"action": "verify"})
    await act(head, wrong, {"action": "reject", "reason": "经核实无此问题"})

    grid = {"grid_id": school.school_id}
    open_list = (await a_list(head, "open", **grid)).json()
    assert [h["hazard_id"] for h in open_list["items"]] == [late]
    # Red hazards are major: the bureau supervises the open ones (挂牌督办).
    major = (await a_list(admin, "major", **grid)).json()
    assert [h["hazard_id"] for h in major["items"]] == [late]
    assert major["title_zh"] == "重大隐患挂牌督办清单"
    assert open_list["title_zh"] == "隐患排查整改清单（未销号）"

    async def overdue() -> list[str]:
        items = (await a_list(head, "overdue", **grid)).json()["items"]
        return [h["hazard_id"] for h in items]

    assert await wait_until(overdue, timeout=60, what="the overdue list") == [late]
    now = datetime.now(UTC)
    period = {
        "since": (now - timedelta(days=1)).isoformat(),
        "until": (now + timedelta(days=1)).isoformat(),
    }
    closed = (await a_list(head, "closed", **grid, **period)).json()
    assert [h["hazard_id"] for h in closed["items"]] == [fixed]
    no_period = await a_list(head, "closed", **grid)
    assert no_period.status_code == 422
    assert no_period.json()["error"]["details"][0]["field"] == "since"

    export = await head.get("hazard_cases", "/v1/hazard-lists/overdue.xlsx", **grid)
    assert export.status_code == 200, export.text
    sheet = load_workbook(io.BytesIO(export.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert "超期未整改隐患清单" in rows[0][0]
    assert f"测试学校{school.tag}" in rows[0][0]
    assert rows[2][:8] == (
        "序号",
        "隐患编号",
        "学校",
        "位置（风险点）",
        "隐患类别",
        "风险等级",
        "重大隐患",
        "隐患描述",
    )
    assert len(rows) == 4
    row = dict(zip(rows[2], rows[3], strict=True))
    assert (row["隐患描述"], row["状态"], row["隐患类别"]) == ("应急灯不亮", "已分派", "消防安全")
    assert row["风险等级"] == "红色（重大风险）"
    assert row["重大隐患"] == "是"
    assert row["整改责任人"] == f"管理员{school.tag}"

    # Lists are for managers of the subtree.
    assert (await a_list(keeper, "open", **grid)).status_code == 403
    other = await new_school(admin)
    stranger = await other.login(admin, other.head)
    assert (await a_list(stranger, "open", **grid)).status_code == 404
