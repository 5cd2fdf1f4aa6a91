"""HTTP routes of dispositions: an agency answers back on a hazard referred to it (处置反馈)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from services.agency_integration.access import admit
from services.agency_integration.referrals import service
from services.agency_integration.referrals.models import (
    DispositionCreate,
    DispositionList,
    DispositionRead,
    ReferralPage,
)
from services.agency_integration.referrals.repository import COLLECTION
from shared.auth import CurrentUser
from shared.dependencies import Db, Idempotency, Relay
from shared.fields import Id, Skip
from shared.idempotency import IdempotencyKeyHeader

router = APIRouter(prefix="/v1/hazards", tags=["dispositions"])
feed_router = APIRouter(prefix="/v1/referrals", tags=["dispositions"])

DISPOSITION_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Your role may not do this (see the README's matrix)"},
    404: {"description": "The hazard was never referred to your agency"},
    409: {"description": "The hazard has as many dispositions from your agency as allowed"},
}


@router.post(
    "/{hazard_id}/dispositions",
    dependencies=[admit("dispositions", "record")],
    status_code=201,
    response_model=DispositionRead,
    responses=DISPOSITION_ERRORS,
    summary="Record how your agency handled a hazard it was sent (处置反馈)",
)
async def record_disposition(
    hazard_id: Id,
    request: Request,
    body: DispositionCreate,
    principal: CurrentUser,
    db: Db,
    relay: Relay,
    idempotency: Idempotency,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Add a disposition (出警, 检查, 立案, 处置完毕, 退回) to a hazard referred to your agency.

    It joins the hazard's timeline in the case service, where the school sees it; the hazard's
    status does not change. Retries with the same Idempotency-Key replay the first answer.
    """

    async def write() -> tuple[int, DispositionRead]:
        referral_id, disposition = await service.record(
            db=db, principal=principal, hazard_id=hazard_id, body=body
        )
        relay.notify(COLLECTION, referral_id)
        return 201, disposition

    return await idempotency.answer(
        request, owner=principal.user_id, key=idempotency_key, payload=body, write=write
    )


@router.get(
    "/{hazard_id}/dispositions",
    dependencies=[admit("dispositions", "read")],
    response_model=DispositionList,
    responses={k: v for k, v in DISPOSITION_ERRORS.items() if k != 409},
    summary="Your agency's dispositions on a hazard (county operators: every agency's), oldest "
    "first",
)
async def list_dispositions(hazard_id: Id, principal: CurrentUser, db: Db) -> DispositionList:
    """List what your agency recorded on a hazard referred to it (an empty list at first); a
    county operator reads every agency's answers on a hazard of their subtree."""
    return await service.list_for_hazard(db=db, principal=principal, hazard_id=hazard_id)


@feed_router.get(
    "",
    dependencies=[admit("referrals", "read")],
    response_model=ReferralPage,
    responses={403: DISPOSITION_ERRORS[403]},
    summary="Hazards referred to your agency, newest first (what you are to answer); county "
    "operators: those referred to any agency in their subtree",
)
async def list_referrals(
    principal: CurrentUser,
    db: Db,
    unanswered: Annotated[bool, Query(description="Only those you have not answered yet")] = False,
    skip: Annotated[Skip, Query()] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ReferralPage:
    """Your agency's feed: each hazard referred to it, with how many answers you recorded (a
    county operator's: every referral in their subtree)."""
    return await service.feed(
        db=db, principal=principal, unanswered=unanswered, skip=skip, limit=limit
    )
