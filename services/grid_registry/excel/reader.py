"""Read an uploaded list and check it, without touching the database.

The header row is found by its Chinese headers (any column order; unknown columns are ignored),
blank rows are skipped, and every cell is read into its type. Then the rows are checked against
each other and against what already exists (`Known`, which the service loads once): duplicate
codes, references to codes that exist nowhere, level order, duty rules. Every problem becomes a
`RowError` naming the row as Excel numbers it and the column by its Chinese header.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.utils.exceptions import InvalidFileException

from services.grid_registry.excel.checks import check
from services.grid_registry.excel.models import MAX_ROWS, ExcelKind, RowError
from services.grid_registry.excel.templates import (
    INSTRUCTIONS_SHEET,
    TEMPLATES,
    Column,
    Template,
    normalize,
)
from shared.errors import ApiError
from shared.fields import MAX_DAY, MIN_DAY, without_control_characters
from shared.vocabulary import GridLevel

PHONE = re.compile(r"^\+?[0-9 -]{5,20}$")  # as people/models.py accepts it
USERNAME = re.compile(r"^[a-zA-Z0-9._-]{3,64}$")  # as an account's username
LIST_SEPARATORS = re.compile(r"[；;\n\r]+")
MAX_CHECK_ITEMS = 50
HEADER_SEARCH_ROWS = 20  # the header may sit below a title row or two
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")
SECRET = "******"  # passwords are never echoed back

# Every row error an import can report, in Chinese and English; `{...}` come from the call.
MESSAGES: dict[str, tuple[str, str]] = {
    "no_header": (
        "找不到「{title}」表的表头，表头应包含：{wanted}",
        "No header row of the {kind} list found; it must name: {wanted}",
    ),
    "missing_column": ("缺少必填列「{header}」", "Required column missing: {header} ({name})"),
    "missing": ("必填，不能为空", "Required; may not be empty"),
    "invalid_choice": (
        "取值无效，可选：{choices}",
        "Not an allowed value; choose one of: {choices}",
    ),
    "too_long": ("不能超过 {limit} 个字", "At most {limit} characters"),
    "too_many_items": (
        "最多 {limit} 项，每项不超过 100 个字",
        "At most {limit} items of at most 100 characters each",
    ),
    "bad_phone": (
        "电话号码格式不正确（只能包含数字、空格、- 和开头的 +，5–20 位）",
        "Not a phone number (digits, spaces, '-' and a leading '+'; 5-20 characters)",
    ),
    "bad_username": (
        "用户名须为 3–64 位字母、数字或 . _ -",
        "A username has 3-64 letters, digits, '.', '_' or '-'",
    ),
    "weak_password": ("密码至少 8 位", "A password has at least 8 characters"),
    "bad_date": ("日期格式不正确，例如 2026-09-01", "Not a date; write e.g. 2026-09-01"),
    "date_out_of_range": (
        f"日期须在 {MIN_DAY} 至 {MAX_DAY} 之间",
        f"The date must be between {MIN_DAY} and {MAX_DAY}",
    ),
    "control_characters": (
        "不能包含换行、制表符或其他控制字符",
        "Must be one line without tabs or other control characters",
    ),
    "duplicate_code": ("编码与第 {other} 行重复", "Same code as row {other}"),
    "ambiguous_code": (
        "系统中有多个{what_zh}使用该编码，请改填系统中的 ID",
        "Several existing {what_en}s have this code; use the id instead",
    ),
    "unknown_code": (
        "{what_zh}编码不存在（本表和系统中都没有）：{ref}",
        "Unknown {what_en} code (neither in this list nor in your part of the registry): {ref}",
    ),
    "missing_parent": ("只有一级网格可以不填上级网格编码", "Only level L1 grids have no parent"),
    "parent_required": ("请填写上级网格编码", "A parent grid is required"),
    "own_parent": ("上级不能是自己", "A grid is not its own parent"),
    "level_order": (
        "下级网格的层级必须低于上级（上级「{parent}」为{label}）",
        "A child grid must sit below its parent ({parent} is {level})",
    ),
    "level_change": (
        "不能通过导入更改已有网格的层级（现为{label}）",
        "An existing grid keeps its level ({level})",
    ),
    "parent_change": (
        "不能通过导入移动已有网格（上级与系统中的不同）",
        "An existing grid cannot be moved by an import (its parent differs)",
    ),
    "point_move": (
        "不能通过导入把已有风险点移到其他网格",
        "An existing risk point cannot be moved by an import",
    ),
    "duplicate_username": ("用户名与第 {other} 行重复", "Same username as row {other}"),
    "role_required": ("有登录用户名时必须选择角色", "A login needs a role"),
    "needs_username": ("只有填写登录用户名时才填写此列", "Only used together with a username"),
    "username_taken": ("用户名已被占用", "This username is already taken"),
    "username_change": (
        "不能通过导入更改已有人员的用户名（现为 {current}）",
        "An existing login keeps its username ({current})",
    ),
    "password_required": (
        "新建登录账号时必须填写初始密码",
        "A new login needs an initial password",
    ),
    "forbidden_role": ("无权授予该角色", "You may not grant this role"),
    "agency_required": (
        "联动部门账号须填写所属联动单位编号",
        "An agency login must name its agency",
    ),
    "agency_not_allowed": (
        "只有联动部门账号填写所属联动单位编号",
        "Only agency logins name an agency",
    ),
    "duty_target": (
        "风险点只能设置责任人（网格长）",
        "A risk point has a responsible person (head) only",
    ),
    "one_per_grid": (
        "校内网格一格一员：只能设置网格长",
        "Inside grids have one person each (一格一员): assign a head",
    ),
    "grid_full": (
        "校外网格一格三员：最多两名网格员",
        "Outside grids have three persons (一格三员): at most two members",
    ),
    "duplicate_member": ("该网格员已在第 {other} 行", "Row {other} already names this member"),
    "duplicate_duty": (
        "同一对象同一时段的该职责已在第 {other} 行",
        "Row {other} already names this duty for this slot",
    ),
    "overlay_forbidden": (
        "包乡包校只能由教育局设置",
        "Overlays (包乡包校) are set by county operators",
    ),
    "in_the_past": (
        "生效日期不能早于今天：过去的责任记录不能改写（责任倒查依据）",
        "Cannot start in the past: past responsibility is the accountability record",
    ),
}


@dataclass(frozen=True)
class Row:
    """One data row: its Excel row number, its typed values and its cells as read."""

    number: int
    values: dict[str, Any]
    raw: dict[str, str | None]
    valid: bool = True  # False when a cell of this row could not be read


@dataclass
class Known:
    """Codes and ids of what already exists in the caller's part of the registry."""

    grids: dict[str, GridLevel] = field(default_factory=dict)  # code or id -> level
    points: set[str] = field(default_factory=set)
    people: set[str] = field(default_factory=set)
    # Codes that several objects of one kind ("grid", "point", "person") share.
    ambiguous: dict[str, set[str]] = field(default_factory=dict)

    def is_ambiguous(self, kind: str, ref: str) -> bool:
        """Tell whether `ref` is a code that names several existing objects of `kind`."""
        return ref in self.ambiguous.get(kind, set())


@dataclass
class Sheet:
    """What was read from a workbook: rows, errors, and where each column was found."""

    template: Template
    name: str
    letters: dict[str, str] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    def flag(self, row: int, key: str | None, code: str, value: Any = None, **facts: Any) -> None:
        """Record the problem `code` (see MESSAGES) with one cell, or the row without `key`."""
        zh, en = MESSAGES[code]
        self.error(row, key, code, zh.format(**facts), en.format(**facts), value)

    def error(
        self, row: int, key: str | None, code: str, zh: str, en: str, value: Any = None
    ) -> None:
        """Record a problem with one cell (or, without `key`, with the whole row)."""
        column = self.template.column(key) if key else None
        letter = self.letters.get(key, "") if key else ""
        shown = SECRET if column is not None and column.kind == "password" and value else value
        self.errors.append(
            RowError(
                sheet=self.name,
                row=row,
                column=column.header if column else "",
                cell=f"{letter}{row}",
                value=None if shown is None else str(shown),
                code=code,
                message_zh=zh,
                message_en=en,
            )
        )

    @property
    def readable(self) -> bool:
        """Tell whether the columns were found (so that the rows can be checked)."""
        return not any(e.code in ("missing_column", "no_header") for e in self.errors)

    def sorted_errors(self) -> list[RowError]:
        """Return the errors by row, then by column position."""
        order = {c.header: n for n, c in enumerate(self.template.columns)}
        return sorted(self.errors, key=lambda e: (e.row, order.get(e.column, -1)))


def read_workbook(kind: ExcelKind, content: bytes, known: Known | None = None) -> Sheet:
    """Read and check a workbook of `kind`; the sheet's errors say what is wrong (if anything)."""
    sheet = parse(kind, content)
    if sheet.readable:
        check(sheet, known or Known())
    sheet.errors = sheet.sorted_errors()
    return sheet


def parse(kind: ExcelKind, content: bytes) -> Sheet:
    """Read the rows of a workbook and the type of every cell (no cross-row checks)."""
    template = TEMPLATES[kind]
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise ApiError(
            422,
            "not_xlsx",
            "无法读取该文件：请上传 Excel 工作簿（.xlsx）",
            "Cannot read this file: upload an Excel workbook (.xlsx)",
        ) from None
    try:
        return _read_book(template, book)
    finally:
        book.close()


def _read_book(template: Template, book: Any) -> Sheet:
    names = [n for n in book.sheetnames if n != INSTRUCTIONS_SHEET]
    names.sort(key=lambda n: n != template.sheet)  # the template's own sheet first
    for name in names:
        worksheet = book[name]
        worksheet.reset_dimensions()  # files from other tools often state wrong dimensions
        rows = worksheet.iter_rows(values_only=True)
        sheet = Sheet(template, name)
        header = _find_header(sheet, rows)
        if header is not None:
            _read_rows(sheet, header, rows)
            return sheet
    sheet = Sheet(template, names[0] if names else template.sheet)
    wanted = "、".join(c.header for c in template.columns if c.required)
    sheet.flag(1, None, "no_header", title=template.title, kind=template.kind, wanted=wanted)
    return sheet


def _header_key(template: Template, cell: Any) -> str | None:
    if cell is None:
        return None
    text = normalize(str(cell)).rstrip("*").removesuffix("(必填)")
    return next(
        (c.key for c in template.columns if text in (normalize(c.header), normalize(c.key))), None
    )


def _find_header(sheet: Sheet, rows: Any) -> tuple[int, dict[str, int]] | None:
    for number, cells in enumerate(rows, start=1):
        if number > HEADER_SEARCH_ROWS:
            return None
        positions: dict[str, int] = {}
        for index, cell in enumerate(cells):
            key = _header_key(sheet.template, cell)
            if key is not None and key not in positions:
                positions[key] = index
        if len(positions) >= 2:
            sheet.letters = {k: get_column_letter(i + 1) for k, i in positions.items()}
            for column in sheet.template.columns:
                if column.required and column.key not in positions:
                    sheet.flag(
                        number, column.key, "missing_column", header=column.header, name=column.key
                    )
            return number, positions
    return None


def _read_rows(sheet: Sheet, header: tuple[int, dict[str, int]], rows: Any) -> None:
    header_row, positions = header
    columns = [sheet.template.column(key) for key in positions]
    for number, cells in enumerate(rows, start=header_row + 1):
        raw = {
            c.key: _text(cells[positions[c.key]] if positions[c.key] < len(cells) else None)
            for c in columns
        }
        if all(v is None for v in raw.values()):
            continue  # blank rows are common between blocks of a list
        if len(sheet.rows) >= MAX_ROWS:
            raise ApiError(
                422,
                "too_many_rows",
                f"行数超过上限（每个文件最多 {MAX_ROWS:,} 行），请拆分后分批导入",
                f"Too many rows (at most {MAX_ROWS:,} per file): split the list",
            )
        errors_before = len(sheet.errors)
        values: dict[str, Any] = {}
        for column in columns:
            cell = cells[positions[column.key]] if positions[column.key] < len(cells) else None
            values[column.key] = _value(sheet, number, column, cell, raw[column.key])
        for column in sheet.template.columns:
            if column.key not in positions:
                values[column.key] = [] if column.kind == "list" else None
        valid = len(sheet.errors) == errors_before
        sheet.rows.append(Row(number, values, raw, valid))


def _text(cell: Any) -> str | None:
    if cell is None:
        return None
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)  # phone numbers and numeric codes come back as floats
    if isinstance(cell, datetime):
        cell = cell.date() if cell.time() == datetime.min.time() else cell
    text = str(cell).strip()
    return text or None


def _value(sheet: Sheet, row: int, column: Column, cell: Any, text: str | None) -> Any:
    if text is None:
        if column.required:
            sheet.flag(row, column.key, "missing")
        return [] if column.kind == "list" else None
    if column.kind == "enum":
        value = column.aliases.get(normalize(text))
        if value is None:
            sheet.flag(row, column.key, "invalid_choice", text, choices="、".join(column.choices))
        return value
    if column.kind == "date":
        day = _date(sheet, row, column, cell, text)
        if day is not None and not MIN_DAY <= day <= MAX_DAY:
            sheet.flag(row, column.key, "date_out_of_range", text)
        return day
    if column.kind == "list":
        items = [item.strip() for item in LIST_SEPARATORS.split(text) if item.strip()]
        if len(items) > MAX_CHECK_ITEMS or any(len(item) > 100 for item in items):
            sheet.flag(row, column.key, "too_many_items", text, limit=MAX_CHECK_ITEMS)
        elif any(_has_control_characters(item) for item in items):
            sheet.flag(row, column.key, "control_characters", _printable(text))
        return items
    if column.kind != "password" and _has_control_characters(text):
        sheet.flag(row, column.key, "control_characters", _printable(text))
        return text
    if len(text) > column.max_length:
        sheet.flag(row, column.key, "too_long", text, limit=column.max_length)
    elif column.kind == "phone" and not PHONE.match(text):
        sheet.flag(row, column.key, "bad_phone", text)
    elif column.kind == "username" and not USERNAME.match(text):
        sheet.flag(row, column.key, "bad_username", text)
    elif column.kind == "password" and len(text) < 8:
        sheet.flag(row, column.key, "weak_password", text)
    return text


def _has_control_characters(text: str) -> bool:
    """Tell whether a cell holds what a single-line field refuses (shared.fields)."""
    return without_control_characters(text, multi_line=False) != text


def _printable(text: str) -> str:
    """Return a cell's text as an error may quote it (and a workbook or page show it)."""
    return without_control_characters(text, multi_line=False)


def _date(sheet: Sheet, row: int, column: Column, cell: Any, text: str) -> date | None:
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, int | float) and 20_000 < cell < 80_000:  # an Excel day number
        return from_excel(cell).date()  # type: ignore[no-any-return]
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    sheet.flag(row, column.key, "bad_date", text)
    return None
