"""Excel lists over HTTP: templates, a 20,000-row import that is all or nothing, and export."""

from __future__ import annotations

import io
import uuid
from typing import Any

import httpx
from openpyxl import Workbook, load_workbook

from tests.support.client import ApiClient

PEOPLE_HEADERS = [
    "人员编码",
    "姓名",
    "所属网格编码",
    "岗位",
    "手机号",
    "登录用户名",
    "初始密码",
    "角色",
]
GRID_HEADERS = ["网格编码", "网格名称", "层级", "上级网格编码", "值班电话"]
ROWS = 20_000
ZONES = 20


def xlsx(headers: list[str], rows: list[list[Any]], title: str) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def upload(
    admin: ApiClient, kind: str, content: bytes, *, dry_run: bool, key: str | None = None
) -> httpx.Response:
    return await admin.http.post(
        f"{admin.platform.url('grid_registry')}/v1/excel/import/{kind}",
        params={"dry_run": str(dry_run).lower()},
        files={"file": (f"{kind}.xlsx", content)},
        headers={**admin.headers, "Idempotency-Key": key or uuid.uuid4().hex},
        timeout=600,
    )


async def people_under(admin: ApiClient, school_id: str) -> list[list[Any]]:
    response = await admin.get("grid_registry", "/v1/excel/export/people.xlsx", grid_id=school_id)
    assert response.status_code == 200, response.text
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][:4] == PEOPLE_HEADERS[:4]
    return [row for row in rows[1:] if any(cell is not None for cell in row)]


async def test_templates_carry_chinese_headers_and_an_example_row(admin: ApiClient) -> None:
    for kind, first_header in (
        ("grids", "网格编码"),
        ("people", "人员编码"),
        ("risk_points", "风险点编码"),
        ("assignments", "对象类型"),
    ):
        response = await admin.get("grid_registry", f"/v1/excel/templates/{kind}.xlsx")
        assert response.status_code == 200, response.text
        book = load_workbook(io.BytesIO(response.content))
        rows = list(book.worksheets[0].iter_rows(values_only=True))
        assert rows[0][0] == first_header
        assert any(cell is not None for cell in rows[1]), "the example row is filled in"


async def test_twenty_thousand_people_with_five_bad_rows_write_nothing_then_import(
    admin: ApiClient,
) -> None:
    tag = uuid.uuid4().hex[:6].upper()
    school = f"XX-{tag}"
    grid_rows: list[list[Any]] = [[school, f"导入测试学校{tag}", "三级", "demo-township", None]]
    grid_rows += [[f"{school}-{z:02d}", f"第{z}责任区", "四级", school, None] for z in range(ZONES)]
    grids = await upload(admin, "grids", xlsx(GRID_HEADERS, grid_rows, "网格"), dry_run=False)
    assert grids.status_code == 200, grids.text
    assert grids.json()["counts"]["grids"]["created"] == ZONES + 1

    rows: list[list[Any]] = [
        [
            f"{tag}-{n:05d}",
            f"教师{n}",
            f"{school}-{n % ZONES:02d}",
            "任课教师",
            None,
            None,
            None,
            None,
        ]
        for n in range(ROWS)
    ]
    # Five mistakes a school makes, each on its own row.
    rows[10][1] = None  # no name
    rows[2_000][2] = "NO-SUCH-GRID"  # unknown grid
    rows[7_500][4] = "电话待补"  # not a phone number
    rows[12_000][0] = rows[11_999][0]  # code used twice
    rows[19_999][5:8] = [f"t{tag}", "initial-pw-1", "超级管理员"]  # no such role
    bad = xlsx(PEOPLE_HEADERS, rows, "人员")

    refused = await upload(admin, "people", bad, dry_run=False)
    assert refused.status_code == 422, refused.text
    details = refused.json()["error"]["details"]
    cells = sorted(detail["field"] for detail in details)
    # Excel rows: the header is row 1, so list index n is row n + 2.
    assert cells == sorted(["人员!B12", "人员!C2002", "人员!E7502", "人员!A12002", "人员!H20001"])
    assert all(detail["message_zh"] and detail["message_en"] for detail in details)
    school_id = await grid_id_of(admin, school)
    assert await people_under(admin, school_id) == [], "nothing is written when a row is wrong"

    rows[10][1] = "教师10"
    rows[2_000][2] = f"{school}-00"
    rows[7_500][4] = "13800000000"
    rows[12_000][0] = f"{tag}-12000"
    rows[19_999][5:8] = [None, None, None]
    good = xlsx(PEOPLE_HEADERS, rows, "人员")

    dry = await upload(admin, "people", good, dry_run=True)
    assert dry.status_code == 200, dry.text
    assert dry.json()["counts"]["people"]["created"] == ROWS
    assert await people_under(admin, school_id) == [], "a dry run writes nothing"

    done = await upload(admin, "people", good, dry_run=False)
    assert done.status_code == 200, done.text
    assert done.json()["counts"]["people"]["created"] == ROWS
    exported = await people_under(admin, school_id)
    assert len(exported) == ROWS
    assert {row[0] for row in exported} == {row[0] for row in rows}

    again = await upload(admin, "people", good, dry_run=False)
    assert again.status_code == 200, again.text
    assert again.json()["counts"]["people"] == {"created": 0, "updated": 0, "unchanged": ROWS}


async def grid_id_of(admin: ApiClient, code: str) -> str:
    response = await admin.get("grid_registry", "/v1/grids/demo-township/children")
    assert response.status_code == 200, response.text
    (grid,) = [grid for grid in response.json() if grid["code"] == code]
    return str(grid["grid_id"])


async def test_a_police_liaison_imported_from_excel_logs_in_for_their_station(
    admin: ApiClient,
) -> None:
    tag = uuid.uuid4().hex[:6]
    school = f"YY-{tag.upper()}"
    grids = xlsx(
        GRID_HEADERS, [[school, f"联动导入学校{tag}", "三级", "demo-township", None]], "网格"
    )
    assert (await upload(admin, "grids", grids, dry_run=False)).status_code == 200
    headers = [*PEOPLE_HEADERS, "所属联动单位编号"]
    liaison = [f"{tag}-A1", "张明", school, "城关派出所民警", None, f"police{tag}", "police-pw-1"]
    teacher = [f"{tag}-T1", "王芳", school, "班主任", None, f"teacher{tag}", "teacher-pw-1", "教师"]

    missing = await upload(
        admin, "people", xlsx(headers, [[*liaison, "联动部门", None]], "人员"), dry_run=False
    )
    assert missing.status_code == 422, missing.text
    (detail,) = missing.json()["error"]["details"]
    assert (detail["field"], detail["code"]) == ("人员!I2", "agency_required")

    rows = [[*liaison, "联动部门", "demo-police"], [*teacher, None]]
    done = await upload(admin, "people", xlsx(headers, rows, "人员"), dry_run=False)
    assert done.status_code == 200, done.text
    officer = await ApiClient.login(admin.platform, admin.http, f"police{tag}", "police-pw-1")
    me = await officer.get("grid_registry", "/v1/auth/me")
    assert me.status_code == 200, me.text
    assert (me.json()["roles"], me.json()["agency_id"]) == (["agency"], "demo-police")

    exported = await people_under(admin, await grid_id_of(admin, school))
    by_code = {row[0]: row for row in exported}
    assert by_code[f"{tag}-A1"][7:9] == ["联动部门", "demo-police"]
    assert by_code[f"{tag}-T1"][8] is None
