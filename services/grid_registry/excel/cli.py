"""Excel lists from the command line, for imports too large to wait for in a browser.

    python -m services.grid_registry.excel.cli import people.xlsx --kind people --as demo-admin
    python -m services.grid_registry.excel.cli import people.xlsx --kind people --as demo-admin --write
    python -m services.grid_registry.excel.cli export --kind risk_points --as demo-admin -o points.xlsx
    python -m services.grid_registry.excel.cli template --kind grids -o grids.xlsx

It works on the registry's database directly (MONGO_URL), acting with the rights of the named
login: the same checks, the same all-or-nothing rule and the same audit entry as the HTTP import.
Imports are dry runs unless --write is given. The registry's outbox relay publishes the
changes it writes, so a running registry need not be stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from pymongo import AsyncMongoClient
from tqdm import tqdm

from services.grid_registry.access import ACCESS
from services.grid_registry.auth.service import principal_of
from services.grid_registry.excel import service
from services.grid_registry.excel.models import ExcelKind, ImportReport
from services.grid_registry.excel.writer import template_workbook
from services.grid_registry.people import repository as people
from shared.errors import ApiError

PHASES = {"check": "检查 / checking", "write": "写入 / writing"}


class Bars:
    """One progress bar per phase, created when the phase first reports."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bars: dict[str, tqdm] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        bar = self.bars.get(phase)
        if bar is None:
            bar = tqdm(total=total, desc=PHASES.get(phase, phase), unit="行", file=sys.stderr)
            self.bars[phase] = bar
        bar.update(done - bar.n)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


def print_report(report: ImportReport) -> None:
    """Say what the import found or did, errors by row and column."""
    if not report.ok:
        mode = "有错误，未写入任何数据 / errors found, nothing written"
    elif report.dry_run:
        mode = "试运行，未写入 / dry run, nothing written"
    else:
        mode = "已写入 / written"
    print(f"{report.kind.value}: {report.rows} 行 / rows, {mode}, {report.seconds} s")
    for kind, counts in report.counts.items():
        print(f"  {kind}: {counts.model_dump()}")
    for error in report.errors:
        print(f"  {error.cell} {error.message_zh} / {error.message_en}")
    if report.error_count > len(report.errors):
        print(f"  … 共 {report.error_count} 处错误 / {report.error_count} errors in all")


async def run(args: argparse.Namespace, content: bytes) -> tuple[int, bytes | None]:
    """Import `content` or export a list; return the exit code and the file to write, if any."""
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(args.mongo_url, tz_aware=True)
    try:
        db = client[args.db]
        account = await people.get_account(db, args.as_user)
        if account is None:
            print(f"登录名不存在 / no such login: {args.as_user}", file=sys.stderr)
            return 2, None
        principal = await principal_of(db, account)
        kind = ExcelKind(args.kind)
        # The same rows of the matrix as the HTTP routes (access.py).
        if args.command == "export":
            ACCESS.check(principal, "Excel lists", "read")
            content, _ = await service.export_list(
                db=db, principal=principal, kind=kind, grid_id=args.grid
            )
            return 0, content
        ACCESS.check(principal, "Excel lists", "import")
        bars = Bars(enabled=not args.quiet)
        try:
            report = await service.import_workbook(
                db=db,
                principal=principal,
                kind=kind,
                content=content,
                dry_run=not args.write,
                file_name=Path(args.file).name,
                progress=bars,
            )
        finally:
            bars.close()
        print_report(report)
        return (0 if report.ok else 1), None
    except ApiError as exc:
        print(f"{exc.body.message_zh} / {exc.body.message_en}", file=sys.stderr)
        return 1, None
    finally:
        await client.close()


def parser() -> argparse.ArgumentParser:
    kinds = [kind.value for kind in ExcelKind]
    top = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    top.add_argument(
        "--mongo-url", default=os.environ.get("MONGO_URL", "mongodb://127.0.0.1:27017/")
    )
    top.add_argument("--db", default="xiaoan_grid_registry", help="the registry's database")
    commands = top.add_subparsers(dest="command", required=True)
    imports = commands.add_parser("import", help="check a list and (with --write) import it")
    imports.add_argument("file")
    imports.add_argument("--write", action="store_true", help="write (default: dry run)")
    imports.add_argument("--quiet", action="store_true", help="no progress bars")
    exports = commands.add_parser("export", help="export a list of your subtree")
    exports.add_argument("--grid", help="the subtree's root (default: your scope)")
    template = commands.add_parser("template", help="write an empty template")
    for command in (imports, exports, template):
        command.add_argument("--kind", choices=kinds, required=True)
    for command in (imports, exports):
        command.add_argument("--as", dest="as_user", required=True, help="act as this login")
    for command in (exports, template):
        command.add_argument("-o", "--output", required=True)
    return top


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    if args.command == "template":
        Path(args.output).write_bytes(template_workbook(ExcelKind(args.kind)))
        return
    content = Path(args.file).read_bytes() if args.command == "import" else b""
    code, output = asyncio.run(run(args, content))
    if output is not None:
        Path(args.output).write_bytes(output)
    sys.exit(code)


if __name__ == "__main__":
    main()
