"""HTTP routes of hazards: reading them, and taking actions on them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse

from services.hazard_cases.access import admit
from services.hazard_cases.hazards import actions, service
from services.hazard_cases.hazards.models import (
    ACTION_EXAMPLES,
    ActionBody,
    HazardPage,
    HazardRead,
    JoinedReport,
)
from services.hazard_cases.hazards.repository import COLLECTION
from shared.auth import CurrentUser
from shared.dependencies import Db, Idempotency, Relay
from shared.fields import Id, Skip
from shared.idempotency import IdempotencyKeyHeader
from shared.vocabulary import HazardStatus

router = APIRouter(prefix="/v1/hazards", tags=["hazards"])

ACTION_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {
        "description": "Your role may never take this action (forbidden), or you may not take "
        "it on this hazard: not the assignee, the rectifier's own work (not_this_person)"
    },
    404: {"description": "No such hazard in your scope"},
    409: {"description": "The state does not allow it: the allowed actions are listed"},
}


@router.get(
    "",
    dependencies=[admit("hazards", "read")],
    response_model=HazardPage,
    summary="Hazards you may see, newest first",
)
async def list_hazards(
    principal: CurrentUser,
    db: Db,
    status: HazardStatus | None = None,
    flagged: Annotated[
        bool | None,
        Query(description="Only hazards with (true) or without (false) a failed message"),
    ] = None,
    skip: Annotated[Skip, Query()] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> HazardPage:
    """Managers see their subtree; teachers what they reported or must rectify."""
    items, total = await service.list_visible(
        db=db, principal=principal, status=status, skip=skip, limit=limit, flagged=flagged
    )
    return HazardPage(items=items, total=total)


@router.get(
    "/{hazard_id}",
    dependencies=[admit("hazards", "read")],
    response_model=HazardRead,
    summary="One hazard with its timeline",
)
async def get_hazard(hazard_id: Id, principal: CurrentUser, db: Db) -> HazardRead:
    """Return a hazard you may see (404 otherwise)."""
    return await service.get_visible(db=db, principal=principal, hazard_id=hazard_id)


@router.get(
    "/{hazard_id}/linked-reports",
    dependencies=[admit("hazards", "read")],
    response_model=list[JoinedReport],
    summary="Every report joined to a hazard, oldest first",
)
async def list_joined_reports(
    hazard_id: Id,
    principal: CurrentUser,
    db: Db,
    skip: Skip = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[JoinedReport]:
    """Return a page of the reports joined to a hazard you may see (404 otherwise)."""
    found = await service.joined_reports(
        db=db, principal=principal, hazard_id=hazard_id, skip=skip, limit=limit
    )
    return [JoinedReport.model_validate(report) for report in found]


@router.post(
    "/{hazard_id}/actions",
    dependencies=[admit("hazards", "act")],
    response_model=HazardRead,
    responses=ACTION_ERRORS,
    summary="Take an action: accept, rectify, verify, reopen, assign, reject, merge, supervise…",
)
async def take_action(
    hazard_id: Id,
    request: Request,
    body: Annotated[ActionBody, Body(openapi_examples=ACTION_EXAMPLES)],
    principal: CurrentUser,
    db: Db,
    relay: Relay,
    idempotency: Idempotency,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Change a hazard's state; status, assignee and deadlines change only through actions."""

    async def write() -> tuple[int, HazardRead]:
        doc = await actions.act(
            db=db,
            policies=request.app.state.policies,
            principal=principal,
            hazard_id=hazard_id,
            body=body,
        )
        relay.notify(COLLECTION, hazard_id)
        return 200, service.to_read(doc)

    return await idempotency.answer(
        request, owner=principal.user_id, key=idempotency_key, payload=body, write=write
    )
