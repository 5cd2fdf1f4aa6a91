"""Reading and checking Excel lists: templates, row errors by Excel row and column, layouts."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import Workbook

from services.grid_registry.excel import reader
from services.grid_registry.excel.models import ExcelKind
from services.grid_registry.excel.reader import Known, read_workbook
from services.grid_registry.excel.templates import TEMPLATES
from services.grid_registry.excel.writer import export_workbook, template_workbook
from shared.errors import ApiError
from shared.vocabulary import GridLevel

GRID_HEADERS = ["网格编码", "网格名称", "层级", "上级网格编码", "值班电话"]
# What the template examples refer to, as if it existed in the registry.
EXAMPLE_KNOWN = Known(
    grids={"CG": GridLevel.TOWNSHIP, "CG-01": GridLevel.SCHOOL, "CG-01-JX": GridLevel.ZONE},
    people={"P-0001"},
)


def workbook(*rows: list[Any], title: str = "网格") -> bytes:
    """Return an .xlsx holding `rows` as they are (None for an empty cell, [] for a blank row)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("kind", list(ExcelKind))
def test_a_template_read_back_holds_only_its_valid_example_row(kind: ExcelKind) -> None:
    sheet = read_workbook(kind, template_workbook(kind), EXAMPLE_KNOWN)

    assert sheet.errors == []
    assert [row.number for row in sheet.rows] == [2]
    assert sheet.name == TEMPLATES[kind].sheet


def test_template_values_are_read_into_stored_values() -> None:
    (row,) = read_workbook(ExcelKind.RISK_POINTS, template_workbook(ExcelKind.RISK_POINTS)).rows

    assert row.values["category"] == "fire"
    assert row.values["risk_grade"] == "red"
    assert row.values["check_items"] == ["通道是否畅通", "灭火器是否在有效期内", "应急照明是否正常"]


def test_five_bad_rows_give_five_errors_naming_row_and_column() -> None:
    content = workbook(
        GRID_HEADERS,
        ["CG", "城关镇", "二级", "ROOT", None],
        ["CG-01", "城关镇第一小学", "三级", "CG", "0898-12345678"],
        ["CG-02", "城关镇第二小学", "五级", "CG", None],  # no such level
        ["CG-03", None, "三级", "CG", None],  # no name
        ["CG-01", "城关镇第三小学", "三级", "CG", None],  # code of row 3 again
        ["CG-04", "城关镇第四小学", "三级", "CG", "12ab"],  # not a phone number
        ["CG-05", "城关镇第五小学", "三级", "NOPE", None],  # parent exists nowhere
        ["CG-01-JX", "教学楼", "四级", "CG-01", None],
        ["CG-01-GATE", "校门口", "校外", "CG-01", None],
    )

    sheet = read_workbook(ExcelKind.GRIDS, content, Known(grids={"ROOT": GridLevel.BUREAU}))

    found = [(e.row, e.column, e.cell, e.code) for e in sheet.errors]
    assert found == [
        (4, "层级", "C4", "invalid_choice"),
        (5, "网格名称", "B5", "missing"),
        (6, "网格编码", "A6", "duplicate_code"),
        (7, "值班电话", "E7", "bad_phone"),
        (8, "上级网格编码", "D8", "unknown_code"),
    ]
    by_row = {e.row: e for e in sheet.errors}
    assert "一级、二级、三级、四级、校外" in by_row[4].message_zh
    assert "choose one of" in by_row[4].message_en
    assert by_row[4].value == "五级"
    assert "第 3 行" in by_row[6].message_zh
    assert "row 3" in by_row[6].message_en
    assert "NOPE" in by_row[8].message_zh
    assert "Unknown parent grid code" in by_row[8].message_en
    assert by_row[7].as_detail().field == "网格!E7"
    assert by_row[7].as_detail().message_zh.startswith("第 7 行「值班电话」")


def test_shuffled_headers_unknown_columns_and_blank_rows() -> None:
    content = workbook(
        ["2026 年网格清单"],  # a title above the header
        ["备注", "上级网格编码", "层级", "网格名称", "网格编码"],
        ["新建", "ROOT", "L2", "城关镇", "CG"],
        [],
        [None, None, None, None, None],
        [None, "CG", "三级网格（学校/幼儿园）", "城关镇第一小学", 1001],
    )

    sheet = read_workbook(ExcelKind.GRIDS, content, Known(grids={"ROOT": GridLevel.BUREAU}))

    assert sheet.errors == []
    assert [(r.number, r.values["code"], r.values["level"]) for r in sheet.rows] == [
        (3, "CG", "L2"),
        (6, "1001", "L3"),  # a numeric code cell reads as text, without ".0"
    ]
    assert sheet.letters["code"] == "E"


def test_a_missing_required_column_is_one_error_naming_it() -> None:
    content = workbook(["网格编码", "层级", "上级网格编码"], ["CG", "二级", "ROOT"])

    sheet = read_workbook(ExcelKind.GRIDS, content, Known(grids={"ROOT": GridLevel.BUREAU}))

    assert [(e.code, e.row, e.column) for e in sheet.errors] == [("missing_column", 1, "网格名称")]


def test_level_order_follows_the_parent_in_the_list_or_in_the_registry() -> None:
    content = workbook(
        GRID_HEADERS,
        ["S1", "第一小学", "三级", "T1", None],  # township of the registry: fine
        ["Z1", "教学楼", "三级", "S1", None],  # same level as its parent
        ["T2", "乡镇", "二级", None, None],  # only L1 grids have no parent
    )

    sheet = read_workbook(ExcelKind.GRIDS, content, Known(grids={"T1": GridLevel.TOWNSHIP}))

    assert [(e.row, e.column, e.code) for e in sheet.errors] == [
        (3, "层级", "level_order"),
        (4, "上级网格编码", "missing_parent"),
    ]


def test_people_logins_are_checked_and_passwords_never_echoed() -> None:
    content = workbook(
        ["人员编码", "姓名", "所属网格编码", "岗位", "手机号", "登录用户名", "初始密码", "角色"],
        ["P1", "王芳", "S1", "班主任", 13800000000, "wangfang", "short", "教师"],
        ["P2", "李强", "S1", "体育教师", None, "wangfang", "long-enough-1", "teacher"],
        ["P3", "周敏", "S1", "数学教师", None, "zhoumin", "long-enough-2", None],
        ["P4", "赵建华", "S9", "食堂管理员", None, None, None, None],
    )

    sheet = read_workbook(ExcelKind.PEOPLE, content, Known(grids={"S1": GridLevel.SCHOOL}))

    assert [(e.row, e.column, e.code) for e in sheet.errors] == [
        (2, "初始密码", "weak_password"),
        (3, "登录用户名", "duplicate_username"),
        (4, "角色", "role_required"),
        (5, "所属网格编码", "unknown_code"),
    ]
    assert sheet.errors[0].value == "******"
    assert sheet.rows[0].values["phone"] == "13800000000"


def test_agency_logins_name_their_agency_and_no_other_login_does() -> None:
    headers = ["人员编码", "姓名", "所属网格编码", "岗位", "登录用户名", "初始密码", "角色"]
    content = workbook(
        [*headers, "所属联动单位编号"],
        [
            "A1",
            "张明",
            "S1",
            "城关派出所值班民警",
            "zhangming",
            "long-enough-1",
            "联动部门",
            "police-cg",
        ],
        ["A2", "刘洋", "S1", "市场监管所", "liuyang", "long-enough-2", "联动部门", None],
        ["P1", "王芳", "S1", "班主任", "wangfang", "long-enough-3", "教师", "police-cg"],
        ["P2", "李强", "S1", "门卫", None, None, None, "police-cg"],
    )

    sheet = read_workbook(ExcelKind.PEOPLE, content, Known(grids={"S1": GridLevel.SCHOOL}))

    assert [(e.row, e.column, e.code) for e in sheet.errors] == [
        (3, "所属联动单位编号", "agency_required"),
        (4, "所属联动单位编号", "agency_not_allowed"),
        (5, "所属联动单位编号", "needs_username"),
    ]
    assert sheet.errors[0].message_zh == "联动部门账号须填写所属联动单位编号"
    assert sheet.rows[0].values["agency"] == "police-cg"

    # A list written before the column existed still reads (and names no agency).
    older = workbook(headers, ["P3", "周敏", "S1", "数学教师", "zhoumin", "long-enough-4", "教师"])
    assert (
        read_workbook(ExcelKind.PEOPLE, older, Known(grids={"S1": GridLevel.SCHOOL})).errors == []
    )


def test_assignment_duty_rules() -> None:
    content = workbook(
        ["对象类型", "对象编码", "职责", "时段", "人员编码", "生效日期"],
        ["网格", "ZONE", "网格员", None, "P1", None],  # 一格一员 inside a school
        ["网格", "GATE", "网格员", None, "P1", "2030/9/1"],
        ["网格", "GATE", "网格员", None, "P2", None],
        ["网格", "GATE", "网格员", None, "P3", None],  # a third member
        ["风险点", "RP1", "包乡包校", None, "P1", None],
        ["网格", "ZONE", "网格长", "课间", "P1", None],
        ["网格", "ZONE", "head", "recess", "P2", "明天"],  # same duty and slot as above
    )
    known = Known(
        grids={"ZONE": GridLevel.ZONE, "GATE": GridLevel.OUTSIDE},
        points={"RP1"},
        people={"P1", "P2", "P3"},
    )

    sheet = read_workbook(ExcelKind.ASSIGNMENTS, content, known)

    assert [(e.row, e.column, e.code) for e in sheet.errors] == [
        (2, "职责", "one_per_grid"),
        (5, "职责", "grid_full"),
        (6, "职责", "duty_target"),
        (8, "时段", "duplicate_duty"),
        (8, "生效日期", "bad_date"),
    ]
    assert str(sheet.rows[1].values["valid_from"]) == "2030-09-01"


def test_an_export_reads_back_like_a_template() -> None:
    content = export_workbook(
        ExcelKind.GRIDS,
        [["CG", "城关镇", "二级", "ROOT", None], ["S1", "一小", "三级", "CG", None]],
    )

    sheet = read_workbook(ExcelKind.GRIDS, content, Known(grids={"ROOT": GridLevel.BUREAU}))

    assert sheet.errors == []
    assert [r.values["code"] for r in sheet.rows] == ["CG", "S1"]


def test_not_a_workbook_and_too_many_rows_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ApiError) as not_xlsx:
        read_workbook(ExcelKind.GRIDS, b"code,name\n1,2\n")
    assert not_xlsx.value.status_code == 422
    assert not_xlsx.value.body.code == "not_xlsx"

    monkeypatch.setattr(reader, "MAX_ROWS", 3)
    rows = [["T", f"乡镇{n}", "二级", "ROOT", None] for n in range(4)]
    with pytest.raises(ApiError) as too_many:
        read_workbook(ExcelKind.GRIDS, workbook(GRID_HEADERS, *rows))
    assert too_many.value.body.code == "too_many_rows"


def test_a_sheet_of_another_kind_has_no_header() -> None:
    sheet = read_workbook(ExcelKind.PEOPLE, template_workbook(ExcelKind.GRIDS))

    assert [e.code for e in sheet.errors] == ["no_header"]
    assert "人员编码" in sheet.errors[0].message_zh


def test_cells_with_control_characters_or_dates_out_of_range_are_refused() -> None:
    content = workbook(
        ["对象类型", "对象编码", "职责", "时段", "人员编码", "生效日期"],
        ["网格", "GATE", "网格员", None, "P1", "2200/1/1"],  # beyond shared.fields' dates
        ["网格", "GATE", "网格员", None, "P2", None],
    )
    known = Known(grids={"GATE": GridLevel.OUTSIDE}, people={"P1", "P2"})
    sheet = read_workbook(ExcelKind.ASSIGNMENTS, content, known)
    assert [(e.row, e.column, e.code) for e in sheet.errors] == [
        (2, "生效日期", "date_out_of_range")
    ]

    content = workbook(
        GRID_HEADERS,
        ["CG", "城关镇", "二级", "ROOT", None],
        ["CG-01", "城关镇\n第一小学", "三级", "CG", None],  # a line break typed into the name
    )
    sheet = read_workbook(ExcelKind.GRIDS, content, Known(grids={"ROOT": GridLevel.BUREAU}))
    (error,) = sheet.errors
    assert (error.row, error.column, error.code) == (3, "网格名称", "control_characters")
    assert error.value == "城关镇第一小学"
    assert "控制字符" in error.message_zh


def test_an_export_drops_control_characters_stored_before_they_were_refused() -> None:
    content = export_workbook(ExcelKind.GRIDS, [["CG", "城关\x0b镇\x00", "二级", None, None]])

    sheet = read_workbook(ExcelKind.GRIDS, content)

    assert [r.values["name"] for r in sheet.rows] == ["城关镇"]
