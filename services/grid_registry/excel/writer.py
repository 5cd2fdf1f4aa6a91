"""Write workbooks: the empty template of a list, and a list exported from the registry.

Both have the same first sheet (styled header, frozen, dropdowns for enumerated columns, code
and phone columns stored as text so "001" stays "001") and the same "说明" sheet, so an export
can be edited and imported again.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from services.grid_registry.excel.models import MAX_ROWS, ExcelKind
from services.grid_registry.excel.templates import (
    GENERAL_NOTES,
    INSTRUCTIONS_SHEET,
    TEMPLATES,
    Template,
)
from shared.fields import without_control_characters

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
REQUIRED_FONT = Font(bold=True, color="C00000")
OPTIONAL_FONT = Font(bold=True)
EXAMPLE_FONT = Font(italic=True, color="7F7F7F")
TEXT_FORMAT = "@"  # stored as text: leading zeros of codes and phone numbers survive
TEXT_KINDS = ("code", "phone", "username", "password", "text", "list")
# Inline dropdown lists are limited to 255 characters by Excel; longer ones refer to cells.
INLINE_LIST_LIMIT = 255

Cell = str | int | float | None


def template_workbook(kind: ExcelKind) -> bytes:
    """Return the empty template of a list: header, one example row, instructions."""
    template = TEMPLATES[kind]
    book, sheet = _new_book(template)
    sheet.append([column.example or None for column in template.columns])
    for cell in sheet[2]:
        cell.font = EXAMPLE_FONT
    return _save(book)


def export_workbook(kind: ExcelKind, rows: Iterable[Sequence[Cell]]) -> bytes:
    """Return a list as a workbook with the template's columns (rows in column order)."""
    book, sheet = _new_book(TEMPLATES[kind])
    for row in rows:
        sheet.append([_printable(value) for value in row])
    return _save(book)


def _printable(value: Cell) -> Cell:
    """Return a cell's value without the control characters a workbook cannot hold.

    Values are checked when written since shared.fields; some stored before still hold them,
    and one such record must not make the whole list fail to export.
    """
    return without_control_characters(value) if isinstance(value, str) else value


def _new_book(template: Template) -> tuple[Workbook, Worksheet]:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = template.sheet
    sheet.append([column.header for column in template.columns])
    for index, column in enumerate(template.columns, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = REQUIRED_FONT if column.required else OPTIONAL_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
        letter = get_column_letter(index)
        # Chinese characters are about two columns wide each in Excel's unit.
        width = max(column.width, 2 * len(column.header) + 4)
        sheet.column_dimensions[letter].width = width
        if column.kind in TEXT_KINDS:
            sheet.column_dimensions[letter].number_format = TEXT_FORMAT
    sheet.freeze_panes = "A2"
    notes = _instructions(book, template)
    _dropdowns(sheet, template, notes)
    return book, sheet


def _instructions(book: Workbook, template: Template) -> Worksheet:
    notes = book.create_sheet(INSTRUCTIONS_SHEET)
    notes.append([f"{template.title}导入说明"])
    notes["A1"].font = Font(bold=True, size=14)
    for line in GENERAL_NOTES:
        notes.append([line])
    notes.append([])
    notes.append(["列名", "是否必填", "说明", "可选值", "示例"])
    for cell in notes[notes.max_row]:
        cell.font = OPTIONAL_FONT
        cell.fill = HEADER_FILL
    for column in template.columns:
        notes.append(
            [
                column.header,
                "必填" if column.required else "选填",
                column.note or None,
                "、".join(column.choices) or None,
                column.example or None,
            ]
        )
    for letter, width in zip("ABCDE", (16, 10, 60, 50, 30), strict=True):
        notes.column_dimensions[letter].width = width
    for row in notes.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    return notes


def _dropdowns(sheet: Worksheet, template: Template, notes: Worksheet) -> None:
    """Offer the allowed values of enumerated columns as dropdowns (other spellings still work)."""
    spare = 7  # columns of the instructions sheet after the table hold long value lists
    for index, column in enumerate(template.columns, start=1):
        if column.kind != "enum":
            continue
        inline = '"' + ",".join(column.choices) + '"'
        if len(inline) <= INLINE_LIST_LIMIT:
            formula = inline
        else:
            letter = get_column_letter(spare)
            spare += 1
            for n, choice in enumerate(column.choices, start=1):
                notes[f"{letter}{n}"] = choice
            sheet_ref = quote_sheetname(INSTRUCTIONS_SHEET)
            formula = f"{sheet_ref}!${letter}$1:${letter}${len(column.choices)}"
        validation = DataValidation(
            type="list",
            formula1=formula,
            allow_blank=not column.required,
            showErrorMessage=False,  # typed spellings like "red" or "L3" are accepted too
            promptTitle=column.header,
            prompt="可从下拉列表选择",
        )
        validation.showInputMessage = True
        letter = get_column_letter(index)
        validation.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
        sheet.add_data_validation(validation)


def _save(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def content_disposition(file_name: str, ascii_name: str) -> str:
    """Return a Content-Disposition header naming a download (Chinese names kept, RFC 6266)."""
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(file_name)}"


def as_cell(value: Any) -> Cell:
    """Return a stored value as a cell value (None for empty)."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float | str):
        return value
    return str(value)
