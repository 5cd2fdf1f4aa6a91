"""The grid registry over HTTP: responsibility in space and time, history, coverage, QR codes."""

from __future__ import annotations

import io
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from tests.support.client import ApiClient
from tests.support.platform import Platform

CN = ZoneInfo("Asia/Shanghai")


def next_weekday(weekday: int, weeks_ahead: int = 1) -> datetime:
    """Return midnight (China time) of an ISO weekday at least a week from now."""
    today = datetime.now(CN).replace(hour=0, minute=0, second=0, microsecond=0)
    days = (weekday - today.isoweekday()) % 7 + 7 * weeks_ahead
    return today + timedelta(days=days)


async def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    return dict(response.json())


async def new_school(admin: ApiClient) -> dict[str, Any]:
    return await created(
        await admin.post(
            "grid_registry",
            "/v1/grids",
            {
                "name": f"测试小学{uuid.uuid4().hex[:4]}",
                "level": "L3",
                "parent_id": "demo-township",
            },
        )
    )


async def new_person(admin: ApiClient, grid_id: str, name: str, post: str = "教师") -> str:
    body = {"name": name, "grid_id": grid_id, "post": post}
    return str((await created(await admin.post("grid_registry", "/v1/people", body)))["person_id"])


async def who(admin: ApiClient, at: datetime, **target: str) -> dict[str, Any]:
    response = await admin.get("grid_registry", "/v1/responsibility", at=at.isoformat(), **target)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_time_slots_pick_recess_lunch_and_holiday_people(admin: ApiClient) -> None:
    school = await new_school(admin)
    zone = await created(
        await admin.post(
            "grid_registry",
            "/v1/grids",
            {"name": "教学楼", "level": "L4", "parent_id": school["grid_id"]},
        )
    )
    people = {
        name: await new_person(admin, school["grid_id"], name)
        for name in ("全天老师", "课间老师", "午间老师", "假日老师")
    }
    monday = next_weekday(1)
    holiday = monday + timedelta(days=2)
    for name, slot in (
        ("全天老师", "always"),
        ("课间老师", "recess"),
        ("午间老师", "lunch"),
        ("假日老师", "holiday"),
    ):
        await created(
            await admin.post(
                "grid_registry",
                "/v1/assignments",
                {
                    "target_kind": "grid",
                    "target_id": zone["grid_id"],
                    "slot": slot,
                    "person_id": people[name],
                },
            )
        )
    calendar = await admin.http.put(
        f"{admin.platform.url('grid_registry')}/v1/grids/{school['grid_id']}/calendar",
        headers=admin.headers,
        json={
            "holidays": [
                {
                    "name": "校庆日",
                    "start": holiday.date().isoformat(),
                    "end": holiday.date().isoformat(),
                }
            ],
            "windows": {
                "recess": [{"start": "09:35", "end": "09:55"}],
                "lunch": [{"start": "11:40", "end": "13:30"}],
            },
        },
    )
    assert calendar.status_code == 200, calendar.text

    recess = await who(admin, monday.replace(hour=9, minute=40), grid_id=zone["grid_id"])
    lunch = await who(admin, monday.replace(hour=12), grid_id=zone["grid_id"])
    lesson = await who(admin, monday.replace(hour=15), grid_id=zone["grid_id"])
    on_holiday = await who(admin, holiday.replace(hour=9, minute=40), grid_id=zone["grid_id"])
    assert (recess["responsible"]["name"], recess["slot_label_zh"]) == ("课间老师", "课间")
    assert (lunch["responsible"]["name"], lunch["slot_label_zh"]) == ("午间老师", "午间")
    assert lesson["responsible"]["name"] == "全天老师"
    assert (on_holiday["responsible"]["name"], on_holiday["slot_label_zh"]) == (
        "假日老师",
        "节假日",
    )
    # Above the zone: the demo township's head, the county; the township's bureau leader after.
    assert [link["grid_name"] for link in recess["escalation_chain"]] == [
        school["name"],
        "城关镇",
        "示范县教育局",
    ]
    assert [o["person"]["name"] for o in recess["overlays"]] == ["何文斌"]


async def test_past_moments_answer_with_the_person_of_their_time(admin: ApiClient) -> None:
    school = await new_school(admin)
    point = await created(
        await admin.post(
            "grid_registry",
            "/v1/risk-points",
            {
                "grid_id": school["grid_id"],
                "name": "实验室危化品柜",
                "category": "hazardous_chemicals",
                "risk_grade": "red",
            },
        )
    )
    moments: list[tuple[datetime, str]] = []
    for name in (
        "甲老师",
        "乙老师",
        "丙老师",
        "丁老师",
    ):  # first assignment, then three reassignments
        person_id = await new_person(admin, school["grid_id"], name)
        assignment = await created(
            await admin.post(
                "grid_registry",
                "/v1/assignments",
                {"target_kind": "point", "target_id": point["point_id"], "person_id": person_id},
            )
        )
        moments.append((datetime.fromisoformat(assignment["valid_from"]), name))
    for start, name in moments:
        answer = await who(admin, start + timedelta(milliseconds=1), point_id=point["point_id"])
        assert answer["responsible"]["name"] == name
    before = await who(admin, moments[0][0] - timedelta(seconds=1), point_id=point["point_id"])
    assert before["responsible"] is None or before["responsible"]["name"] not in {
        n for _, n in moments
    }

    history = (
        await admin.get("grid_registry", f"/v1/risk-points/{point['point_id']}/assignments")
    ).json()
    assert [h["person"]["name"] for h in history] == ["丁老师", "丙老师", "乙老师", "甲老师"]
    assert [h["valid_to"] is None for h in history] == [True, False, False, False]
    trail = (
        await admin.get(
            "grid_registry", "/v1/audit", target_kind="point", target_id=point["point_id"]
        )
    ).json()
    assert [entry["action"] for entry in trail].count("assignment.created") == 4
    assert trail[0]["actor"]["name"] == "李建国"


async def test_history_cannot_be_rewritten(admin: ApiClient) -> None:
    school = await new_school(admin)
    person_id = await new_person(admin, school["grid_id"], "某老师")
    response = await admin.post(
        "grid_registry",
        "/v1/assignments",
        {
            "target_kind": "grid",
            "target_id": school["grid_id"],
            "person_id": person_id,
            "valid_from": "2020-01-01T00:00:00+08:00",
        },
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "valid_from"


async def test_blind_spots_and_outside_grids_short_of_three_are_reported(admin: ApiClient) -> None:
    school = await new_school(admin)
    head = await new_person(admin, school["grid_id"], "校长")
    await created(
        await admin.post(
            "grid_registry",
            "/v1/assignments",
            {"target_kind": "grid", "target_id": school["grid_id"], "person_id": head},
        )
    )
    nobody = await created(
        await admin.post(
            "grid_registry",
            "/v1/grids",
            {"name": "实验楼", "level": "L4", "parent_id": school["grid_id"]},
        )
    )
    outside = await created(
        await admin.post(
            "grid_registry",
            "/v1/grids",
            {
                "name": "学校东侧河道",
                "level": "outside",
                "parent_id": school["grid_id"],
                "head_person_id": head,
            },
        )
    )
    coverage = (await admin.get("grid_registry", "/v1/coverage", grid_id=school["grid_id"])).json()
    assert [g["name"] for g in coverage["blind_spots"]] == ["实验楼"]
    assert [g["name"] for g in coverage["outside_understaffed"]] == ["学校东侧河道"]
    assert coverage["grids_total"] == 3
    assert coverage["covered_pct"] == pytest.approx(66.7)

    members = [
        await new_person(admin, school["grid_id"], n)
        for n in ("社区网格员", "社区民警", "多余的人")
    ]
    for member in members[:2]:
        await created(
            await admin.post(
                "grid_registry",
                "/v1/assignments",
                {
                    "target_kind": "grid",
                    "target_id": outside["grid_id"],
                    "duty": "member",
                    "person_id": member,
                },
            )
        )
    third = await admin.post(
        "grid_registry",
        "/v1/assignments",
        {
            "target_kind": "grid",
            "target_id": outside["grid_id"],
            "duty": "member",
            "person_id": members[2],
        },
    )
    assert third.status_code == 422  # 一格三员: a head and two members
    await created(
        await admin.post(
            "grid_registry",
            "/v1/assignments",
            {"target_kind": "grid", "target_id": nobody["grid_id"], "person_id": head},
        )
    )
    after = (await admin.get("grid_registry", "/v1/coverage", grid_id=school["grid_id"])).json()
    assert after["blind_spot_count"] == 0
    assert after["outside_understaffed_count"] == 0
    assert after["covered_pct"] == 100.0


async def test_revoked_qr_token_no_longer_resolves(
    admin: ApiClient, platform: Platform, http: httpx.AsyncClient
) -> None:
    teacher = await ApiClient.login(platform, http, "demo-teacher")
    issued = (await admin.post("grid_registry", "/v1/risk-points/demo-point-kitchen/qr")).json()
    assert issued["url"].endswith(issued["token"])
    scanned = await teacher.get("grid_registry", f"/v1/qr/{issued['token']}")
    assert scanned.status_code == 200
    assert scanned.json()["point_name"] == "学校食堂后厨"
    assert scanned.json()["responsible"]["name"] == "赵建华"
    assert "留样是否满48小时" in scanned.json()["check_items"]

    replaced = (
        await admin.post("grid_registry", "/v1/risk-points/demo-point-kitchen/qr?replace=true")
    ).json()
    assert (await teacher.get("grid_registry", f"/v1/qr/{issued['token']}")).status_code == 404
    revoked = await admin.http.delete(
        f"{platform.url('grid_registry')}/v1/qr/{replaced['token']}", headers=admin.headers
    )
    assert revoked.status_code == 204
    assert (await teacher.get("grid_registry", f"/v1/qr/{replaced['token']}")).status_code == 404
    assert (
        await http.get(f"{platform.url('grid_registry')}/v1/qr/{replaced['token']}")
    ).status_code == 401


async def test_reads_outside_ones_subtree_answer_404(
    platform: Platform, http: httpx.AsyncClient
) -> None:
    head = await ApiClient.login(platform, http, "demo-head")  # 城关镇第一小学 only
    assert (await head.get("grid_registry", "/v1/grids/demo-school")).status_code == 200
    for path, params in (
        ("/v1/grids/demo-township", {}),
        ("/v1/grids/demo-county/children", {}),
        ("/v1/responsibility", {"grid_id": "demo-county"}),
        ("/v1/people/demo-p-admin", {}),
        ("/v1/coverage", {"grid_id": "demo-township"}),
    ):
        response = await head.get("grid_registry", path, **params)
        assert response.status_code == 404, (path, response.text)
    teacher = await ApiClient.login(platform, http, "demo-teacher")
    forbidden = await teacher.post(
        "grid_registry", "/v1/grids", {"name": "x", "level": "L4", "parent_id": "demo-school"}
    )
    assert forbidden.status_code == 403


async def test_qr_label_sheet_is_a_printable_pdf_with_chinese_text(
    admin: ApiClient, platform: Platform, http: httpx.AsyncClient
) -> None:
    response = await admin.get("grid_registry", "/v1/grids/demo-school/qr-sheet.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    pages = PdfReader(io.BytesIO(response.content)).pages
    text = "".join(page.extract_text() for page in pages).replace("\n", "")  # names wrap
    for expected in ("城关镇第一小学", "学校食堂后厨", "教学楼三楼东侧消防通道", "扫码上报隐患"):
        assert expected in text

    png = await admin.get("grid_registry", "/v1/risk-points/demo-point-gate-road/qr.png")
    assert png.headers["content-type"] == "image/png"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
    token = decoded[0].text.rsplit("/", 1)[-1]
    teacher = await ApiClient.login(platform, http, "demo-teacher")
    scanned = await teacher.get("grid_registry", f"/v1/qr/{token}")
    assert scanned.json()["point_name"] == "校门口上下学路段"


async def test_each_school_edits_its_own_duty_lists(
    platform: Platform, http: httpx.AsyncClient
) -> None:
    head = await ApiClient.login(platform, http, "demo-head")
    url = f"{platform.url('grid_registry')}/v1/grids/demo-school/duty-lists"
    defaults = (await head.get("grid_registry", "/v1/grids/demo-school/duty-lists")).json()
    assert "晨午检和因病缺勤追踪" in defaults["班主任"]
    duties = ["班级安全第一责任人", "晨午检和因病缺勤追踪", "放学路队护送"]
    assert (await http.put(f"{url}/班主任", json=duties, headers=head.headers)).json() == duties
    assert (await head.get("grid_registry", "/v1/grids/demo-school/duty-lists")).json()[
        "班主任"
    ] == duties
    teacher = await ApiClient.login(platform, http, "demo-teacher")
    assert (await http.put(f"{url}/班主任", json=["x"], headers=teacher.headers)).status_code == 403
    elsewhere = f"{platform.url('grid_registry')}/v1/grids/demo-township/duty-lists/班主任"
    assert (await http.put(elsewhere, json=["x"], headers=head.headers)).status_code == 404
