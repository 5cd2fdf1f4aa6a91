"""The command centre's figures over HTTP: counts, rates, per-school assessment and the overdue
list, kept current as hazards move through the loop."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.support.client import ApiClient
from tests.support.photos import stored_photo
from tests.support.school import hazard, new_school, report
from tests.support.waiting import wait_until

FAST = {
    "grades": {
        grade: {"rectify_hours": 0.001, "acknowledge_hours": 500, "escalate_every_hours": 500}
        for grade in ("red", "orange", "yellow", "blue")
    }
}


async def act(client: ApiClient, hazard_id: str, body: dict[str, Any]) -> None:
    response = await client.post("hazard_cases", f"/v1/hazards/{hazard_id}/actions", body)
    assert response.status_code == 200, response.text


async def test_figures_follow_the_loop_for_a_school_and_its_county(admin: ApiClient) -> None:
    school = await new_school(admin)
    await admin.http.put(
        f"{admin.platform.url('hazard_cases')}/v1/deadline-policies/{school.school_id}",
        json=FAST,
        headers=admin.headers,
    )
    keeper = await school.login(admin, school.keeper)
    head = await school.login(admin, school.head)
    fixed, late, wrong = [
        await report(keeper, school, text) for text in ("门锁损坏", "应急灯不亮", "误报")
    ]
    for hazard_id in (fixed, late, wrong):
        await hazard(admin, hazard_id, status="assigned")
    await wait_until(
        lambda: _overdue(head, school.school_id, fixed), timeout=60, what="the deadline to pass"
    )
    await act(keeper, fixed, {"action": "accept"})
    await act(
        keeper,
        fixed,
        {
            "action": "submit_rectification",
            "note": "已换锁",
            "photo_ids": [await stored_photo(keeper, "rectification")],
        },
    )
    await act(head, fixed, {"action": "verify"})
    await act(head, wrong, {"action": "reject", "reason": "误报"})

    month = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    period = {"from": month, "to": month}

    async def school_figures() -> dict[str, Any] | None:
        answer = await head.get(
            "hazard_cases", "/v1/stats/summary", grid_id=school.school_id, **period
        )
        body = answer.json()
        done = body["by_status"] == {"closed": 1, "assigned": 1, "rejected": 1}
        return body if done and body["overdue_now"] == 1 else None

    figures = await wait_until(school_figures, timeout=60, what="the school's figures")
    assert figures["total"] == 3
    assert figures["rectification_rate"] == 0.5  # the rejected report does not count
    assert figures["on_time_rate"] == 0.0  # fixed after its 3.6-second deadline
    assert figures["by_grade"] == {"red": 3}
    assert figures["major"] == 3

    # The county sees the school among its schools, with the same figures (its townships'
    # summaries are carried up a moment later than the school's own).
    async def county_row() -> dict[str, Any] | None:
        answer = await admin.get("hazard_cases", "/v1/stats/schools", **period)
        rows = [row for row in answer.json()["schools"] if row["grid_id"] == school.school_id]
        done = rows and (rows[0]["total"], rows[0]["rectified"], rows[0]["overdue_now"]) == (
            3,
            1,
            1,
        )
        return rows[0] if done else None

    mine = await wait_until(county_row, timeout=60, what="the school in its county's list")
    assert mine["name"] == f"测试学校{school.tag}"
    overdue = (
        await admin.get("hazard_cases", "/v1/stats/overdue", grid_id=school.school_id, **period)
    ).json()
    assert [item["hazard_id"] for item in overdue] == [late]
    assert overdue[0]["hours_late"] >= 0

    bad = await admin.get("hazard_cases", "/v1/stats/summary", **{"from": "2026-13", "to": month})
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "from"

    # Any days: today holds the three; the day before holds none of them.
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()

    async def school_on(day: date) -> dict[str, Any]:
        answer = await head.get(
            "hazard_cases",
            "/v1/stats/summary",
            grid_id=school.school_id,
            **{"from": day.isoformat(), "to": day.isoformat()},
        )
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    async def today_done() -> dict[str, Any] | None:
        body = await school_on(today)
        return body if body["by_status"] == figures["by_status"] else None

    on_today = await wait_until(today_done, timeout=60, what="today's figures")
    assert (on_today["first_day"], on_today["last_day"]) == (today.isoformat(),) * 2
    assert on_today["rectification_rate"] == 0.5
    assert (await school_on(today - timedelta(days=1)))["total"] == 0
    assert bad.json()["error"]["details"][0]["field"] == "from"
    other = await new_school(admin)
    stranger = await other.login(admin, other.head)
    hidden = await stranger.get(
        "hazard_cases", "/v1/stats/summary", grid_id=school.school_id, **period
    )
    assert hidden.status_code == 404


async def _overdue(client: ApiClient, grid_id: str, hazard_id: str) -> bool:
    answer = await client.get("hazard_cases", "/v1/hazard-lists/overdue", grid_id=grid_id)
    return any(item["hazard_id"] == hazard_id for item in answer.json()["items"])
