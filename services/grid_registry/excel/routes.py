"""HTTP routes of Excel lists: templates, checked imports, exports."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncGenerator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from services.grid_registry.access import admit
from services.grid_registry.excel import service
from services.grid_registry.excel.models import MAX_FILE_BYTES, ExcelKind, ImportReport
from services.grid_registry.excel.templates import TEMPLATES
from services.grid_registry.excel.writer import (
    XLSX_MEDIA_TYPE,
    content_disposition,
    template_workbook,
)
from shared.auth import CurrentUser
from shared.dependencies import Db, Idempotency, Relay
from shared.errors import ApiError, ErrorBody
from shared.fields import Id
from shared.idempotency import IdempotencyKeyHeader

router = APIRouter(prefix="/v1/excel", tags=["excel"])

# Room for the multipart framing around the file itself.
MAX_BODY_BYTES = MAX_FILE_BYTES + 64 * 1024

UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "The list as an .xlsx workbook (at most 10 MB)",
                        }
                    },
                }
            }
        },
    }
}


def _xlsx(content: bytes, file_name: str, ascii_name: str) -> Response:
    return Response(
        content,
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": content_disposition(file_name, ascii_name)},
    )


@router.get(
    "/templates/{kind}.xlsx",
    dependencies=[admit("Excel lists", "read")],
    response_class=Response,
    responses={200: {"content": {XLSX_MEDIA_TYPE: {}}, "description": "The template"}},
    summary="The Excel template of a list (header, example row, instructions, dropdowns)",
)
async def get_template(kind: ExcelKind, principal: CurrentUser) -> Response:
    """Download the empty template of a list."""
    return _xlsx(template_workbook(kind), f"{TEMPLATES[kind].title}-模板.xlsx", f"{kind}.xlsx")


async def _upload(request: Request) -> tuple[bytes, str]:
    """Return the uploaded file and its name, refusing more than the limit as it arrives."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise service.too_large()
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise ApiError(
            415,
            "unsupported_media_type",
            "请以 multipart/form-data 上传文件（字段名 file）",
            "Upload the file as multipart/form-data (field name 'file')",
        )

    async def capped() -> AsyncGenerator[bytes, None]:
        received = 0
        async for chunk in request.stream():
            received += len(chunk)
            if received > MAX_BODY_BYTES:  # a chunked upload states no length up front
                raise service.too_large()
            yield chunk

    try:
        form = await MultiPartParser(request.headers, capped(), max_files=1, max_fields=5).parse()
    except MultiPartException as exc:
        raise ApiError(400, "bad_request", "上传内容无法解析", f"Malformed upload: {exc}") from None
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise ApiError(
            422,
            "validation_failed",
            "缺少上传文件（字段名 file）",
            "No file uploaded (field name 'file')",
        )
    try:
        return await upload.read(), upload.filename or ""
    finally:
        await form.close()


@router.post(
    "/import/{kind}",
    dependencies=[admit("Excel lists", "import")],
    response_model=ImportReport,
    openapi_extra=UPLOAD_BODY,
    responses={413: {"description": "文件过大 / File too large"}},
    summary="Import a list from Excel: all rows checked first; nothing is written on any error",
)
async def import_list(
    request: Request,
    kind: ExcelKind,
    principal: CurrentUser,
    db: Db,
    relay: Relay,
    idempotency: Idempotency,
    dry_run: Annotated[bool, Query(description="Check only and report what would change")] = True,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Import a list; 422 lists every error by row and column, with nothing written."""
    content, file_name = await _upload(request)
    payload = {
        "sha256": hashlib.sha256(content).hexdigest(),
        "kind": kind.value,
        "dry_run": dry_run,
    }

    async def write() -> tuple[int, Any]:
        report = await service.import_workbook(
            db=db,
            principal=principal,
            kind=kind,
            content=content,
            dry_run=dry_run,
            file_name=file_name,
        )
        for collection, ids in report.written.items():
            for doc_id in ids:
                relay.notify(collection, doc_id)
        if report.ok:
            return 200, report
        error = ErrorBody(
            code="import_invalid",
            message_zh=f"文件中有 {report.error_count} 处错误，未写入任何数据",
            message_en=f"The file has {report.error_count} errors; nothing was written",
            details=[e.as_detail() for e in report.errors],
        )
        return 422, {"error": error, "report": report}

    return await idempotency.answer(
        request, owner=principal.user_id, key=idempotency_key, payload=payload, write=write
    )


@router.get(
    "/export/{kind}.xlsx",
    dependencies=[admit("Excel lists", "read")],
    response_class=Response,
    responses={200: {"content": {XLSX_MEDIA_TYPE: {}}, "description": "The list"}},
    summary="Export a list of a grid's subtree, in the template's columns (re-importable)",
)
async def export_list(
    kind: ExcelKind,
    principal: CurrentUser,
    db: Db,
    grid_id: Annotated[Id | None, Query(description="Default: your scope")] = None,
) -> Response:
    """Download a list of your subtree (or of `grid_id`'s)."""
    content, file_name = await service.export_list(
        db=db, principal=principal, kind=kind, grid_id=grid_id
    )
    return _xlsx(content, file_name, f"{kind}-export.xlsx")
