"""Importing a list from Excel (check everything, then write everything) and exporting one.

An import reads the workbook, loads the caller's part of the registry once, checks every row,
and writes nothing at all if anything is wrong. FerretDB has no multi-document transactions,
so the write phase is made safe to run again instead: ids are derived from codes, documents
that exist are skipped, grids are written parents first and logins before their people. An
import that stopped half-way is completed by importing the same file again.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.grid_registry import targets
from services.grid_registry.audit import repository as audit
from services.grid_registry.auth.passwords import hash_password
from services.grid_registry.excel import reader
from services.grid_registry.excel import repository as repo
from services.grid_registry.excel.checks import check
from services.grid_registry.excel.models import (
    MAX_FILE_BYTES,
    MAX_REPORTED_ERRORS,
    ExcelKind,
    ImportReport,
)
from services.grid_registry.excel.planning import LOCAL, Plan, Registry, plan
from services.grid_registry.excel.templates import (
    DUTY_LABELS,
    GRADE_LABELS,
    LEVEL_LABELS,
    ROLE_LABELS,
    TARGET_LABELS,
    TEMPLATES,
)
from services.grid_registry.excel.writer import Cell, as_cell, export_workbook
from services.grid_registry.grids import repository as grids
from services.grid_registry.grids.service import get_in_scope
from services.grid_registry.responsibility.service import path_ids
from services.grid_registry.risk_points import repository as points
from shared.auth import Principal
from shared.clock import utc_now
from shared.errors import ApiError
from shared.ids import new_id
from shared.responsibility import SLOT_LABELS, Duty, SlotKind
from shared.vocabulary import CATEGORY_LABELS, GridLevel, HazardCategory, RiskGrade, Role

Document = dict[str, Any]

# Told how far an import is: (phase, done, total); phases "check" (rows) and "write" (objects).
Progress = Callable[[str, int, int], None]


def _silent(phase: str, done: int, total: int) -> None:
    """Report no progress (the HTTP route's default)."""


# Collections whose outboxes the relay publishes: the route asks it to publish these at once.
RELAYED = (grids.COLLECTION, points.COLLECTION)


def too_large() -> ApiError:
    """Build the 413 answering an upload over the size limit."""
    limit = MAX_FILE_BYTES // (1024 * 1024)
    return ApiError(
        413,
        "file_too_large",
        f"文件过大：每个文件最多 {limit} MB，请拆分后分批导入",
        f"File too large: at most {limit} MB per file; split the list",
    )


async def load_registry(
    db: AsyncDatabase[Document], principal: Principal, kind: ExcelKind
) -> Registry:
    """Load what the rows of `kind` may refer to in the caller's part of the registry, once."""
    registry = Registry(root=",".join(sorted(principal.scope)))
    registry.grids = {doc["_id"]: doc for doc in await repo.grids_in_scope(db, principal)}
    above = {grid_id for path in principal.scope for grid_id in path_ids(path)[:-1]}
    registry.above = await repo.grids_by_id(db, above)
    if kind in (ExcelKind.RISK_POINTS, ExcelKind.ASSIGNMENTS):
        registry.points = {doc["_id"]: doc for doc in await repo.points_in_scope(db, principal)}
    if kind in (ExcelKind.PEOPLE, ExcelKind.ASSIGNMENTS):
        found = await repo.people_at(db, set(registry.grids))
        registry.people = {doc["_id"]: doc for doc in found}
    if kind == ExcelKind.PEOPLE:
        registry.accounts = await repo.accounts(db)
    return registry


async def import_workbook(
    *,
    db: AsyncDatabase[Document],
    principal: Principal,
    kind: ExcelKind,
    content: bytes,
    dry_run: bool,
    file_name: str = "",
    progress: Progress = _silent,
) -> ImportReport:
    """Check a list and, if nothing is wrong and this is no dry run, write it; report either way."""
    started = time.perf_counter()
    if len(content) > MAX_FILE_BYTES:
        raise too_large()
    # Reading the workbook is CPU work: in a thread, while the registry loads.
    sheet, registry = await asyncio.gather(
        asyncio.to_thread(reader.parse, kind, content), load_registry(db, principal, kind)
    )
    if not any(e.code in ("missing_column", "no_header") for e in sheet.errors):
        check(sheet, registry.known())
    now = utc_now()
    writes = plan(kind, sheet, registry, principal, now)
    progress("check", len(sheet.rows), len(sheet.rows))
    report = ImportReport(
        kind=kind,
        file_name=file_name,
        dry_run=dry_run,
        rows=len(sheet.rows),
        counts=writes.counts,
    )
    if sheet.errors:
        errors = sheet.sorted_errors()
        report.error_count = len(errors)
        report.errors = errors[:MAX_REPORTED_ERRORS]
        report.counts = {}
    elif not dry_run:
        await _apply(db, principal, writes, report, progress)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


async def _hash_passwords(writes: Plan) -> None:
    """Hash the new logins' passwords (scrypt is slow on purpose: in threads, not the loop)."""
    if not writes.passwords:
        return
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        hashes = await asyncio.gather(
            *(loop.run_in_executor(pool, hash_password, pw) for _, pw in writes.passwords)
        )
    for (account, _), digest in zip(writes.passwords, hashes, strict=True):
        account["password_hash"] = digest


def _counter(progress: Progress, total: int) -> Callable[[int], None]:
    """Return a function that adds to the written count and reports it."""
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        progress("write", done, total)

    return advance


async def _apply(
    db: AsyncDatabase[Document],
    principal: Principal,
    writes: Plan,
    report: ImportReport,
    progress: Progress,
) -> None:
    """Write the plan: new documents in batches, then updates, then assignments per target."""
    total = sum(len(docs) for _, docs in writes.inserts) + len(writes.updates) + len(writes.saves)
    advance = _counter(progress, total)
    progress("write", 0, total)
    await _hash_passwords(writes)
    written: dict[str, list[str]] = {}
    for collection, docs in writes.inserts:
        await repo.insert_new(db, collection, docs, advance)
        written.setdefault(collection, []).extend(doc["_id"] for doc in docs)
    by_collection: dict[str, list[tuple[Document, Document]]] = {}
    for collection, query, update in writes.updates:
        by_collection.setdefault(collection, []).append((query, update))
        written.setdefault(collection, []).append(query["_id"])
    missed = 0
    for collection, updates in by_collection.items():
        missed += len(updates) - await repo.update_each(db, collection, updates, advance)
    results = await repo.gather_chunked(
        [targets.save_assignments(db, target, new) for target, new in writes.saves], advance
    )
    for (target, _), outcome in zip(writes.saves, results, strict=True):
        if isinstance(outcome, ApiError):
            missed += 1
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            written.setdefault(targets.COLLECTIONS[target.kind], []).append(target.doc["_id"])
    report.written = {c: ids for c, ids in written.items() if c in RELAYED}
    counts = {kind: c.model_dump() for kind, c in report.counts.items()}
    await audit.record(
        db,
        actor=principal,
        action="excel.imported",
        target_kind="excel_import",
        target_id=new_id(),
        before=None,
        after={
            "kind": report.kind.value,
            "file_name": report.file_name,
            "rows": report.rows,
            "counts": counts,
            "dry_run": False,
            "changed_meanwhile": missed,
        },
    )
    if missed:
        raise ApiError(
            409,
            "changed_meanwhile",
            f"导入期间有 {missed} 个对象被他人修改，这些行未写入：请重新导入同一文件"
            "（已写入的行会显示为“未变化”）",
            f"{missed} objects changed meanwhile and were not written: import the same file "
            "again (rows already written will show as unchanged)",
        )


def _code(doc: Document | None, fallback: str | None = None) -> str | None:
    """Return how a list names an object: its code, else its id."""
    if doc is None:
        return fallback
    return str(doc.get("code") or doc["_id"])


def _local_date(at: datetime) -> str:
    return at.astimezone(LOCAL).date().isoformat()


async def export_list(
    *,
    db: AsyncDatabase[Document],
    principal: Principal,
    kind: ExcelKind,
    grid_id: str | None = None,
) -> tuple[bytes, str]:
    """Return a list of a grid's subtree (default: the caller's) as a workbook, and its name."""
    if grid_id is not None:
        root_path = str((await get_in_scope(db=db, principal=principal, grid_id=grid_id))["path"])
    elif principal.scope:
        root_path = sorted(principal.scope)[0]
    else:
        raise ApiError(404, "not_found", "网格不存在", "Grid not found")
    tree = {doc["_id"]: doc for doc in await repo.grids_under(db, root_path)}
    outside = {d["parent_id"] for d in tree.values() if d.get("parent_id") not in (None, *tree)}
    tree_and_parent = {**await repo.grids_by_id(db, outside), **tree}

    def names(grid_id: str) -> list[str]:
        return [tree_and_parent.get(g, {}).get("name", "") for g in path_ids(tree[grid_id]["path"])]

    rows: list[list[Cell]] = []
    if kind == ExcelKind.GRIDS:
        for doc in sorted(tree.values(), key=lambda d: names(d["_id"])):
            parent = doc.get("parent_id")
            rows.append(
                [
                    _code(doc),
                    doc["name"],
                    LEVEL_LABELS[GridLevel(doc["level"])],
                    _code(tree_and_parent.get(parent), parent) if parent else None,
                    as_cell(doc.get("duty_phone")),
                ]
            )
    elif kind == ExcelKind.RISK_POINTS:
        found = await repo.points_under(db, root_path)
        for doc in sorted(found, key=lambda d: (names(d["grid_id"]), d["name"])):
            rows.append(
                [
                    _code(doc),
                    doc["name"],
                    _code(tree.get(doc["grid_id"]), doc["grid_id"]),
                    CATEGORY_LABELS[HazardCategory(doc["category"])][0],
                    GRADE_LABELS[RiskGrade(doc["risk_grade"])],
                    "；".join(doc.get("check_items", [])),
                ]
            )
    elif kind == ExcelKind.PEOPLE:
        logins = await repo.accounts(db)
        found = await repo.people_at(db, set(tree))
        for doc in sorted(found, key=lambda d: (names(d["grid_id"]), d["name"])):
            login = logins.get(doc.get("username") or "", {})
            roles = login.get("roles", [])
            role = ROLE_LABELS.get(Role(roles[0])) if roles else None
            rows.append(
                [
                    _code(doc),
                    doc["name"],
                    _code(tree.get(doc["grid_id"])),
                    doc["post"],
                    as_cell(doc.get("phone")),
                    as_cell(doc.get("username")),
                    None,
                    role,
                    as_cell(login.get("agency_id")),
                ]
            )
    else:
        rows = await _assignment_rows(db, principal, root_path, tree, names)
    content = await asyncio.to_thread(export_workbook, kind, rows)
    return content, f"{TEMPLATES[kind].title}-导出.xlsx"


async def _assignment_rows(
    db: AsyncDatabase[Document],
    principal: Principal,
    root_path: str,
    tree: dict[str, Document],
    names: Any,
) -> list[list[Cell]]:
    """Return the assignments in force of a subtree's grids and points, one row each.

    Rotations (weekly duty, holiday rosters) have no row form and are left out.
    """
    found = await repo.points_under(db, root_path)
    people = {
        d["_id"]: d for d in await repo.people_at(db, set(await _scope_grid_ids(db, principal)))
    }
    places = [("grid", doc, names(doc["_id"])) for doc in tree.values()]
    places += [("point", doc, [*names(doc["grid_id"]), doc["name"]]) for doc in found]
    rows: list[list[Cell]] = []
    for kind, doc, _ in sorted(places, key=lambda p: p[2]):
        for a in targets.stored_assignments(doc):
            if a.valid_to is not None or a.person is None:
                continue
            rows.append(
                [
                    TARGET_LABELS[kind],
                    _code(doc),
                    DUTY_LABELS[Duty(a.duty)],
                    SLOT_LABELS[SlotKind(a.slot)][0],
                    _code(people.get(a.person.person_id), a.person.person_id),
                    _local_date(a.valid_from),
                ]
            )
    return rows


async def _scope_grid_ids(db: AsyncDatabase[Document], principal: Principal) -> list[str]:
    """Return the ids of the caller's grids (people anywhere in scope may be assigned)."""
    return [doc["_id"] for doc in await repo.grids_in_scope(db, principal)]
