"""HTTP route of the board."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.command_centre.access import admit
from services.command_centre.board import service
from services.command_centre.board.models import Board
from shared.auth import CurrentUser
from shared.dependencies import Db

router = APIRouter(prefix="/v1/board", tags=["board"])


@router.get(
    "",
    dependencies=[admit("board", "read")],
    response_model=Board,
    summary="Newest hazards and counts of your area",
)
async def get_board(
    principal: CurrentUser, db: Db, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> Board:
    """Return what the live page shows."""
    return await service.board_for(db, principal, limit)
