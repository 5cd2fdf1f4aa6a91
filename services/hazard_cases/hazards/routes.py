"""HTTP routes of hazards (reading; the lifecycle's writes come with the case-management work)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.hazard_cases.hazards import service
from services.hazard_cases.hazards.models import HazardPage, HazardRead
from shared.auth import CurrentUser
from shared.dependencies import Db
from shared.vocabulary import HazardStatus

router = APIRouter(prefix="/v1/hazards", tags=["hazards"])


@router.get("", response_model=HazardPage, summary="Hazards you may see, newest first")
async def list_hazards(
    principal: CurrentUser,
    db: Db,
    status: HazardStatus | None = None,
    skip: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> HazardPage:
    """Managers see their subtree; teachers what they reported or must rectify."""
    items, total = await service.list_visible(
        db=db, principal=principal, status=status, skip=skip, limit=limit
    )
    return HazardPage(items=items, total=total)


@router.get("/{hazard_id}", response_model=HazardRead, summary="One hazard with its timeline")
async def get_hazard(hazard_id: str, principal: CurrentUser, db: Db) -> HazardRead:
    """Return a hazard you may see (404 otherwise)."""
    return await service.get_visible(db=db, principal=principal, hazard_id=hazard_id)
