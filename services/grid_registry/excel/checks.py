"""Check the rows of a list against each other and against what already exists.

Pure: what exists comes in as `Known` (codes and ids the service loaded once). Duplicate codes,
references to codes that exist nowhere (an object outside the caller's scope is simply unknown,
so nothing about it leaks), level order, login columns, duty rules (一格一员, 一格三员).
Rows that could not be read are still counted as present, so one bad cell does not make every
row that refers to it fail as well.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from services.grid_registry.excel.models import ExcelKind
from services.grid_registry.excel.templates import LEVEL_LABELS
from services.grid_registry.grids.models import LEVEL_RANK
from shared.responsibility import Duty, SlotKind
from shared.vocabulary import GridLevel, Role

if TYPE_CHECKING:
    from services.grid_registry.excel.reader import Known, Row, Sheet

OWN_KIND = {ExcelKind.GRIDS: "grid", ExcelKind.PEOPLE: "person", ExcelKind.RISK_POINTS: "point"}
WHAT = {"grid": ("网格", "grid"), "point": ("风险点", "risk point"), "person": ("人员", "person")}


def check(sheet: Sheet, known: Known) -> None:
    """Check the rows against each other and against what exists; errors go on the sheet."""
    first = _check_codes(sheet, known)
    checks = {
        ExcelKind.GRIDS: _check_grids,
        ExcelKind.PEOPLE: _check_people,
        ExcelKind.RISK_POINTS: _check_points,
        ExcelKind.ASSIGNMENTS: _check_assignments,
    }
    checks[sheet.template.kind](sheet, known, first)


def _check_codes(sheet: Sheet, known: Known) -> dict[str, Row]:
    """Flag repeated codes; return the row of each code's first use (broken rows too)."""
    first: dict[str, Row] = {}
    if sheet.template.code_key is None:
        return first
    kind = OWN_KIND[sheet.template.kind]
    for row in sheet.rows:
        code = row.raw.get("code")
        if code is None:
            continue
        if known.is_ambiguous(kind, code):
            zh, en = WHAT[kind]
            sheet.flag(row.number, "code", "ambiguous_code", code, what_zh=zh, what_en=en)
        if code in first:
            sheet.flag(row.number, "code", "duplicate_code", code, other=first[code].number)
        else:
            first[code] = row
    return first


def _unknown(sheet: Sheet, row: Row, key: str, kind: str, known: Known, what: str = "") -> None:
    """Flag a reference that names nothing (or several things) of `kind`."""
    ref = row.values[key]
    zh, en = WHAT[kind]
    if what:
        zh, en = f"上级{zh}", f"parent {en}"
    code = "ambiguous_code" if known.is_ambiguous(kind, ref) else "unknown_code"
    sheet.flag(row.number, key, code, ref, what_zh=zh, what_en=en, ref=ref)


def _check_grids(sheet: Sheet, known: Known, first: dict[str, Row]) -> None:
    for row in sheet.rows:
        code, level, parent = row.values["code"], row.values["level"], row.values["parent"]
        if code in known.grids or known.is_ambiguous("grid", code):
            continue  # an existing grid keeps its parent and level: the service compares them
        if parent is None:
            if level is not None and level != GridLevel.BUREAU:
                sheet.flag(row.number, "parent", "missing_parent")
            continue
        if parent == code:
            sheet.flag(row.number, "parent", "own_parent", parent)
            continue
        if parent in first:
            parent_level = first[parent].values["level"]
        elif parent in known.grids:
            parent_level = known.grids[parent]
        else:
            _unknown(sheet, row, "parent", "grid", known, what="parent")
            continue
        if (
            level is not None
            and parent_level is not None
            and LEVEL_RANK[GridLevel(level)] <= LEVEL_RANK[GridLevel(parent_level)]
        ):
            sheet.flag(
                row.number,
                "level",
                "level_order",
                row.raw["level"],
                parent=parent,
                label=LEVEL_LABELS[GridLevel(parent_level)],
                level=parent_level,
            )


def _check_people(sheet: Sheet, known: Known, first: dict[str, Row]) -> None:
    usernames: dict[str, int] = {}
    for row in sheet.rows:
        grid = row.values["grid"]
        if grid is not None and grid not in known.grids:
            _unknown(sheet, row, "grid", "grid", known)
        username = row.values["username"]
        if username is None:
            for key in ("password", "role", "agency"):
                if row.raw.get(key) is not None:
                    sheet.flag(row.number, key, "needs_username", row.raw[key])
            continue
        if username in usernames:
            sheet.flag(
                row.number, "username", "duplicate_username", username, other=usernames[username]
            )
        usernames.setdefault(username, row.number)
        if row.raw["role"] is None:
            sheet.flag(row.number, "role", "role_required")
        # An agency login sees only what is referred to its agency: it must name one.
        agency_role = row.values["role"] == Role.AGENCY.value
        if agency_role and row.raw.get("agency") is None:
            sheet.flag(row.number, "agency", "agency_required")
        elif not agency_role and row.raw.get("agency") is not None:
            sheet.flag(row.number, "agency", "agency_not_allowed", row.raw["agency"])


def _check_points(sheet: Sheet, known: Known, first: dict[str, Row]) -> None:
    for row in sheet.rows:
        grid = row.values["grid"]
        if grid is not None and grid not in known.grids:
            _unknown(sheet, row, "grid", "grid", known)


def _check_assignments(sheet: Sheet, known: Known, first: dict[str, Row]) -> None:
    duties: dict[tuple[Any, ...], int] = {}
    members: dict[tuple[Any, ...], int] = {}
    per_grid: Counter[tuple[Any, ...]] = Counter()
    for row in sheet.rows:
        kind, target = row.values["target_kind"], row.values["target"]
        duty, person = row.values["duty"], row.values["person"]
        targets = known.grids if kind == "grid" else known.points
        if target is not None and kind is not None and target not in targets:
            _unknown(sheet, row, "target", kind, known)
        if person is not None and person not in known.people:
            _unknown(sheet, row, "person", "person", known)
        if duty is None or kind is None or target is None:
            continue
        if kind == "point" and duty != Duty.HEAD:
            sheet.flag(row.number, "duty", "duty_target", row.raw["duty"])
        elif duty == Duty.MEMBER:
            level = known.grids.get(target)
            if level is not None and level != GridLevel.OUTSIDE:
                sheet.flag(row.number, "duty", "one_per_grid", row.raw["duty"])
            elif (target, person) in members:
                sheet.flag(
                    row.number, "person", "duplicate_member", person,
                    other=members[(target, person)],
                )  # fmt: skip
            else:
                members[(target, person)] = row.number
                per_grid[target] += 1
                if per_grid[target] > 2:
                    sheet.flag(row.number, "duty", "grid_full", row.raw["duty"])
        else:
            key = (kind, target, duty, row.values["slot"] or SlotKind.ALWAYS)
            if key in duties:
                sheet.flag(row.number, "slot", "duplicate_duty", row.raw["slot"], other=duties[key])
            duties.setdefault(key, row.number)
