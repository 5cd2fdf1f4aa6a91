"""A report on a grid without a risk point (the river bank outside a school's gate) keeps its
place: the school it belongs to and the grid's name, on the hazard, the board, the agency's
referral and the assignee's notice."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.client import ApiClient
from tests.support.platform import Platform
from tests.support.school import hazard, new_school, notice
from tests.support.waiting import wait_until


async def test_a_report_on_an_outside_grid_names_its_school_and_place(
    admin: ApiClient, platform: Platform, http: httpx.AsyncClient
) -> None:
    school = await new_school(admin, category="campus_security")
    head = await school.login(admin, school.head)
    outside = await admin.post(
        "grid_registry",
        "/v1/grids",
        {
            "name": f"校门东侧河堤{school.tag}",
            "level": "outside",
            "parent_id": school.school_id,
            "head_person_id": school.people[school.head],
        },
    )
    assert outside.status_code == 201, outside.text
    grid_id = outside.json()["grid_id"]
    school_name, place = f"测试学校{school.tag}", f"校门东侧河堤{school.tag}"

    async def accepted() -> str | None:
        body = {"grid_id": grid_id, "category": "campus_security", "description": "河堤护栏缺失"}
        answer = await head.post("hazard_intake", "/v1/reports", body)
        return str(answer.json()["report_id"]) if answer.status_code == 202 else None

    # Intake learns the new grid from the registry's events.
    hazard_id = await wait_until(accepted, timeout=30, what="intake to know the grid")
    found = await hazard(admin, hazard_id, status="assigned")
    assert (found["school_name"], found["grid_name"], found["point_name"]) == (
        school_name,
        place,
        None,
    )

    async def on_board() -> dict[str, Any] | None:
        rows = (await admin.get("command_centre", "/v1/board")).json()["rows"]
        return next((row for row in rows if row["hazard_id"] == hazard_id), None)

    row = await wait_until(on_board, timeout=30, what="the board to show it")
    assert (row["school_name"], row["grid_name"]) == (school_name, place)

    police = await ApiClient.login(platform, http, "demo-police")

    async def referred() -> dict[str, Any] | None:
        items = (await police.get("agency_integration", "/v1/referrals")).json()["items"]
        return next((item for item in items if item["hazard_id"] == hazard_id), None)

    referral = await wait_until(referred, timeout=30, what="the referral to the police")
    assert (referral["school_name"], referral["grid_name"]) == (school_name, place)

    told = await notice(head, hazard_id, "hazard_assigned")
    assert told["title_zh"] == f"新隐患待整改：{place}"
