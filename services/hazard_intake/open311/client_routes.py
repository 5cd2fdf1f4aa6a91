"""Open311 clients: county operators register them (api_key shown once), list and revoke them."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from services.hazard_intake.access import admit
from services.hazard_intake.open311 import clients
from services.hazard_intake.open311.dependencies import Places
from services.hazard_intake.open311.models import ClientCreate, ClientCreated, ClientRead
from shared.auth import CurrentUser
from shared.dependencies import Db
from shared.fields import Id
from shared.idempotency import IdempotencyKeyHeader, require_key

router = APIRouter(prefix="/v1/open311/clients", tags=["open311 clients"])


@router.post(
    "",
    dependencies=[admit("Open311 clients", "manage")],
    status_code=201,
    response_model=ClientCreated,
    summary="Register an Open311 client filing into a grid (answers its api_key once)",
    responses={
        201: {
            "description": "Registered; a retry with the same key answers 201 again, marked "
            "Idempotent-Replayed, with the client but no api_key (it is never stored in clear)"
        }
    },
)
async def register_client(
    request: Request,
    client_in: ClientCreate,
    principal: CurrentUser,
    db: Db,
    places: Places,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Register a client; a retry with the same key answers 201 again, without the api_key."""
    new, created = await clients.register(
        db=db,
        places=places,
        principal=principal,
        client_in=client_in,
        idempotency_key=require_key(idempotency_key),
        path=request.url.path,
    )
    headers = {"Cache-Control": "no-store"}
    if not new:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(jsonable_encoder(created), status_code=201, headers=headers)


@router.get(
    "",
    dependencies=[admit("Open311 clients", "manage")],
    response_model=list[ClientRead],
    summary="Open311 clients of your area",
)
async def list_clients(principal: CurrentUser, db: Db) -> list[ClientRead]:
    """List the clients filing into your subtree, revoked ones included."""
    return await clients.list_visible(db=db, principal=principal)


@router.delete(
    "/{client_id}",
    dependencies=[admit("Open311 clients", "manage")],
    status_code=204,
    summary="Revoke an Open311 client's api_key",
)
async def revoke_client(client_id: Id, principal: CurrentUser, db: Db) -> Response:
    """Revoke it: its api_key is refused from now on (its requests stay visible)."""
    await clients.revoke(db=db, principal=principal, client_id=client_id)
    return Response(status_code=204)
