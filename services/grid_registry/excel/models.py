"""Request and response models of Excel imports: the kinds of list, row errors, the report."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from shared.errors import ErrorDetail

# Limits of one upload: beyond them the request is refused before anything is checked.
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
# A report lists at most this many errors (and says how many there were in all).
MAX_REPORTED_ERRORS = 1_000


class ExcelKind(StrEnum):
    """Which list a workbook holds."""

    GRIDS = "grids"  # 网格
    PEOPLE = "people"  # 人员
    RISK_POINTS = "risk_points"  # 风险点
    ASSIGNMENTS = "assignments"  # 责任分工


class RowError(BaseModel):
    """What is wrong with one cell (or one row, or the whole sheet) of an uploaded workbook."""

    sheet: str
    row: int = Field(description="Row number as Excel shows it")
    column: str = Field(description="Chinese column header; empty when the whole row is meant")
    cell: str = Field(description="Cell reference, e.g. C7 (the row alone when no column)")
    value: str | None = Field(None, description="The cell's content as read")
    code: str
    message_zh: str
    message_en: str

    def as_detail(self) -> ErrorDetail:
        """Return this error in the shared error shape (field = 'sheet!C7')."""
        return ErrorDetail(
            field=f"{self.sheet}!{self.cell}",
            location="file",
            code=self.code,
            message_zh=f"第 {self.row} 行「{self.column or '整行'}」：{self.message_zh}",
            message_en=f"Row {self.row}, column {self.column or '(row)'}: {self.message_en}",
        )


class KindCounts(BaseModel):
    """What an import did (or, in a dry run, would do) to one kind of document."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


class ImportReport(BaseModel):
    """The outcome of an import: counts per kind of document, or every error found."""

    kind: ExcelKind
    file_name: str
    dry_run: bool
    rows: int = Field(description="Data rows read (blank rows are not counted)")
    counts: dict[str, KindCounts] = Field(
        default_factory=dict, description="Per kind of document: grids, people, accounts, ..."
    )
    error_count: int = 0
    errors: list[RowError] = Field(
        default_factory=list, description=f"The first {MAX_REPORTED_ERRORS} errors, by row"
    )
    seconds: float = Field(0.0, description="Time the server spent checking and writing")
    written: dict[str, list[str]] = Field(
        default_factory=dict,
        exclude=True,
        description="Ids of documents written, by collection (for the outbox relay; not sent)",
    )

    @property
    def ok(self) -> bool:
        """Tell whether the workbook was accepted."""
        return self.error_count == 0
