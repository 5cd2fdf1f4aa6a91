"""HTTP routes of the duty lists per post (一岗双责清单)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path
from pydantic import Field

from services.grid_registry.access import admit
from services.grid_registry.duties import service
from shared.auth import CurrentUser
from shared.dependencies import Db
from shared.fields import Id, SingleLineText

router = APIRouter(prefix="/v1/grids/{grid_id}/duty-lists", tags=["duty lists"])

Duties = Annotated[
    list[Annotated[SingleLineText, Field(min_length=1, max_length=100)]],
    Body(min_length=1, max_length=50, examples=[["班级安全第一责任人", "晨午检和因病缺勤追踪"]]),
]


@router.get(
    "",
    dependencies=[admit("duty lists", "read")],
    response_model=dict[str, list[str]],
    summary="A school's safety duties per post",
)
async def get_lists(grid_id: Id, principal: CurrentUser, db: Db) -> dict[str, list[str]]:
    """Return every post's duties (the school's own edits over the defaults)."""
    return await service.lists(db=db, principal=principal, grid_id=grid_id)


@router.put(
    "/{post}",
    dependencies=[admit("duty lists", "write")],
    response_model=list[str],
    summary="Replace one post's duties at a school",
)
async def put_list(
    grid_id: Id,
    post: Annotated[SingleLineText, Path(min_length=1, max_length=50)],
    duties: Duties,
    principal: CurrentUser,
    db: Db,
) -> list[str]:
    """Replace the list (idempotent: the same list twice is the same state)."""
    return await service.set_list(
        db=db, principal=principal, grid_id=grid_id, post=post, duties=duties
    )
