"""A hazard list as an .xlsx workbook, in the columns schools report upward with."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from shared.fields import without_control_characters
from shared.vocabulary import (
    CATEGORY_LABELS,
    HAZARD_STATUS_LABELS,
    RISK_GRADE_LABELS,
    HazardCategory,
    HazardStatus,
    RiskGrade,
)

CHINA = ZoneInfo("Asia/Shanghai")
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# (header, width)
COLUMNS: list[tuple[str, int]] = [
    ("序号", 6),
    ("隐患编号", 14),
    ("学校", 20),
    ("位置（风险点）", 24),
    ("隐患类别", 14),
    ("风险等级", 14),
    ("重大隐患", 8),
    ("隐患描述", 40),
    ("上报人", 10),
    ("上报时间", 17),
    ("整改责任人", 10),
    ("整改期限", 17),
    ("状态", 10),
    ("超期天数", 8),
    ("已上报至", 12),
    ("整改情况", 30),
    ("临时管控措施", 24),
    ("验收人", 10),
    ("销号时间", 17),
]
GRADE_FILLS = {
    RiskGrade.RED: "FFC7CE",
    RiskGrade.ORANGE: "FFE0B2",
    RiskGrade.YELLOW: "FFF9C4",
    RiskGrade.BLUE: "BBDEFB",
}


def local_time(value: datetime | None) -> str | None:
    return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if value else None


def _name(person: dict[str, Any] | None) -> str | None:
    return person.get("name") if person else None


def _row(number: int, doc: dict[str, Any], now: datetime) -> list[Any]:
    grade = RiskGrade(doc["risk_grade"]) if doc.get("risk_grade") else None
    status = HazardStatus(doc["status"])
    rectify_by = doc.get("rectify_by")
    late_days = None
    if rectify_by is not None and status in (HazardStatus.ASSIGNED, HazardStatus.RECTIFYING):
        late = (now - rectify_by).total_seconds() / 86400
        late_days = round(late, 1) if late > 0 else None
    rectification = doc.get("rectification") or {}
    return [
        number,
        doc["_id"][-8:],
        doc.get("school_name"),
        doc.get("point_name"),
        CATEGORY_LABELS[HazardCategory(doc["category"])][0],
        RISK_GRADE_LABELS[grade][0] if grade else "未分级",
        "是" if doc.get("major") else "否",
        doc["description"],
        _name(doc.get("reporter")),
        local_time(doc.get("reported_at")),
        _name(doc.get("assignee")),
        local_time(rectify_by),
        HAZARD_STATUS_LABELS[status][0],
        late_days,
        _name(doc.get("escalated_to")),
        rectification.get("note"),
        doc.get("interim_measures"),
        _name(doc.get("verified_by")),
        local_time(doc.get("closed_at")),
    ]


def _printable(value: Any) -> Any:
    """Return a cell's value without the control characters a workbook cannot hold.

    Text is checked when written since shared.fields; some stored before still holds them, and
    one such hazard must not make the whole list fail to export.
    """
    return without_control_characters(value) if isinstance(value, str) else value


def workbook(title: str, subtitle: str, docs: list[dict[str, Any]], now: datetime) -> bytes:
    """Return the list as .xlsx bytes: a title row, a subtitle, the header, one row per hazard."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "隐患清单"
    last = get_column_letter(len(COLUMNS))
    sheet.append([_printable(title)])
    sheet.merge_cells(f"A1:{last}1")
    sheet["A1"].font = Font(size=14, bold=True)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append([_printable(subtitle)])
    sheet.merge_cells(f"A2:{last}2")
    sheet.append([header for header, _ in COLUMNS])
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for index, (_, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for number, doc in enumerate(docs, start=1):
        sheet.append([_printable(value) for value in _row(number, doc, now)])
        grade = doc.get("risk_grade")
        if grade:
            fill = PatternFill("solid", fgColor=GRADE_FILLS[RiskGrade(grade)])
            sheet.cell(row=sheet.max_row, column=6).fill = fill
    sheet.freeze_panes = "A4"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
