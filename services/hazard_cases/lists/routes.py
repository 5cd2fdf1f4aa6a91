"""HTTP routes of the hazard lists: JSON for pages, .xlsx for reporting upward."""

from __future__ import annotations

import asyncio
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel

from services.hazard_cases.access import admit
from services.hazard_cases.hazards.models import HazardRead
from services.hazard_cases.hazards.service import to_read
from services.hazard_cases.lists import service, writer
from services.hazard_cases.lists.service import LIST_TITLES, MAX_EXPORT_ROWS, ListKind
from services.hazard_cases.places.scope import managed_subtree
from shared.auth import CurrentUser
from shared.clock import utc_now
from shared.dependencies import Db
from shared.fields import Id, Moment

router = APIRouter(prefix="/v1/hazard-lists", tags=["lists"])

GridQuery = Annotated[Id | None, Query(description="Default: your own grid")]
Since = Annotated[Moment | None, Query(description="Closed list: from (inclusive), with offset")]
Until = Annotated[Moment | None, Query(description="Closed list: until (exclusive), with offset")]


class HazardList(BaseModel):
    """One list of a subtree."""

    kind: ListKind
    title_zh: str
    grid_name: str
    items: list[HazardRead]


@router.get(
    "/{kind}.xlsx",
    dependencies=[admit("hazard lists", "read")],
    response_class=Response,
    responses={200: {"content": {writer.XLSX_MEDIA_TYPE: {}}, "description": "The workbook"}},
    summary="The same list as an Excel workbook with Chinese headers",
)
async def export_list(
    kind: ListKind,
    principal: CurrentUser,
    db: Db,
    grid_id: GridQuery = None,
    since: Since = None,
    until: Until = None,
) -> Response:
    """Download the list (at most 50,000 rows)."""
    path, name = await managed_subtree(db, principal, grid_id)
    filter_, sort = service.query(kind, path, since, until)
    docs = await service.rows(db, filter_, sort, MAX_EXPORT_ROWS)
    now = utc_now()
    title = f"{name}{LIST_TITLES[kind][0]}"
    period = (
        f"期间：{writer.local_time(since)} 至 {writer.local_time(until)}"
        if kind == ListKind.CLOSED
        else f"截至 {writer.local_time(now)}"
    )
    subtitle = f"{period}　共 {len(docs)} 条　导出人：{principal.name}"
    content = await asyncio.to_thread(writer.workbook, title, subtitle, docs, now)
    file_name = quote(f"{title}.xlsx")
    return Response(
        content,
        media_type=writer.XLSX_MEDIA_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{kind.value}.xlsx"; '
            f"filename*=UTF-8''{file_name}"
        },
    )


# Declared after the .xlsx route, which it would otherwise swallow.
@router.get(
    "/{kind}",
    dependencies=[admit("hazard lists", "read")],
    response_model=HazardList,
    summary="Open, overdue or closed hazards",
)
async def get_list(
    kind: ListKind,
    principal: CurrentUser,
    db: Db,
    grid_id: GridQuery = None,
    since: Since = None,
    until: Until = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> HazardList:
    """The overdue list is sorted by how late, the others by date."""
    path, name = await managed_subtree(db, principal, grid_id)
    filter_, sort = service.query(kind, path, since, until)
    docs = await service.rows(db, filter_, sort, limit)
    return HazardList(
        kind=kind,
        title_zh=LIST_TITLES[kind][0],
        grid_name=name,
        items=[to_read({**doc, "timeline": []}) for doc in docs],
    )
