"""HTTP routes of people."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from services.grid_registry.access import admit
from services.grid_registry.people import service
from services.grid_registry.people.models import PersonCreate, PersonRead
from shared.auth import CurrentUser
from shared.dependencies import Db, Idempotency
from shared.fields import Id
from shared.idempotency import IdempotencyKeyHeader

router = APIRouter(prefix="/v1/people", tags=["people"])


@router.post(
    "",
    dependencies=[admit("people", "write")],
    status_code=201,
    response_model=PersonRead,
    summary="Register a person",
)
async def create_person(
    request: Request,
    person_in: PersonCreate,
    principal: CurrentUser,
    db: Db,
    idempotency: Idempotency,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Register a person at a grid of your subtree; retries with the same key replay."""

    async def write() -> tuple[int, PersonRead]:
        return 201, await service.create(db=db, principal=principal, person_in=person_in)

    return await idempotency.answer(
        request, owner=principal.user_id, key=idempotency_key, payload=person_in, write=write
    )


@router.get(
    "/{person_id}",
    dependencies=[admit("people", "read")],
    response_model=PersonRead,
    summary="One person of your subtree",
)
async def get_person(person_id: Id, principal: CurrentUser, db: Db) -> PersonRead:
    """Return a person (404 if not registered in your subtree)."""
    return await service.get(db=db, principal=principal, person_id=person_id)
