"""HTTP routes of parked messages: what failed, about which hazard, and marking it dealt with."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from services.hazard_cases.access import admit
from services.hazard_cases.parked import repository, service
from shared.auth import CurrentUser
from shared.dependencies import Db, Idempotency, Relay, RuntimeDep
from shared.fields import Id, Skip, Text
from shared.idempotency import IdempotencyKeyHeader
from shared.refs import PersonRef

router = APIRouter(prefix="/v1/parked-messages", tags=["parked messages"])


class Replay(BaseModel):
    """One time an operator sent a parked message back to its queue."""

    by: PersonRef
    at: datetime


class ParkedRead(BaseModel):
    """A message a service gave up on after its retries, kept until an operator deals with it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "parked_id": "5d0c2f7e9a1b4c3d8e6f0a1b2c3d4e5f",
                    "service": "notifications",
                    "queue": "notifications.hazard_assigned",
                    "event_type": "hazard_cases.hazard.assigned",
                    "event_id": "0f9e8d7c6b5a49382716054f3e2d1c0b",
                    "hazard_id": "4be1c2d3e4f5a6b7c8d9e0f1a2b3c4d5",
                    "error": "ValidationError('assignee: Field required')",
                    "attempts": 1,
                    "data": {"hazard_id": "4be1c2d3e4f5a6b7c8d9e0f1a2b3c4d5"},
                    "parked_at": "2026-11-23T08:15:02Z",
                    "times_parked": 1,
                    "replayable": True,
                    "replays": [],
                    "resolved_at": None,
                    "resolved_by": None,
                    "resolution_note": None,
                }
            ]
        }
    )

    parked_id: str
    service: str = Field(description="The service whose handler gave up")
    queue: str
    event_type: str | None
    event_id: str | None
    hazard_id: str | None = Field(description="The hazard it concerns (flagged), if it says")
    error: str
    attempts: int
    data: dict[str, Any] | None = Field(description="The event's data as it was sent")
    parked_at: datetime = Field(description="When it was (last) parked")
    times_parked: int = Field(1, description="More than 1: a replay failed again")
    replayable: bool = Field(description="Its kept copy is whole: POST …/replay can send it")
    replays: list[Replay] = Field([], description="Who sent it back, and when (the latest 20)")
    resolved_at: datetime | None
    resolved_by: PersonRef | None = None
    resolution_note: str | None = None


class ResolveBody(BaseModel):
    """How the message was dealt with (replayed from its dead-letter queue, or harmless)."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"note": "已修复通知模板并从死信队列重放"}]},
    )

    note: Text = Field(min_length=2, max_length=500)


HIDDEN = {"_id", "body", "outbox", "replay_pending", "sequence"}


def _read(doc: dict[str, Any]) -> ParkedRead:
    return ParkedRead(
        parked_id=doc["_id"],
        replayable=service.replayable(doc),
        **{k: v for k, v in doc.items() if k not in HIDDEN},
    )


@router.get(
    "",
    dependencies=[admit("parked messages", "manage")],
    response_model=list[ParkedRead],
    summary="Failed messages in your county",
)
async def list_parked(
    principal: CurrentUser,
    db: Db,
    unresolved: bool = True,
    hazard_id: Id | None = None,
    skip: Skip = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[ParkedRead]:
    """Newest first; by default only those not dealt with yet."""
    query: dict[str, Any] = service.visible(principal)
    if unresolved:
        query = {"$and": [query, {"resolved_at": None}]}
    if hazard_id is not None:
        query = {"$and": [query, {"hazard_id": hazard_id}]}
    return [_read(doc) for doc in await repository.page(db, query, skip=skip, limit=limit)]


@router.post(
    "/{parked_id}/resolve",
    dependencies=[admit("parked messages", "manage")],
    response_model=ParkedRead,
    responses={404: {"description": "No such parked message in your county"}},
    summary="Mark a failed message dealt with; its hazard's flag goes when none is left",
)
async def resolve_parked(
    parked_id: Id,
    body: ResolveBody,
    request: Request,
    principal: CurrentUser,
    db: Db,
    relay: Relay,
    idempotency: Idempotency,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Say how it was dealt with; the hazard's timeline records it."""

    async def write() -> tuple[int, ParkedRead]:
        resolved = await service.resolve(db, principal, parked_id, body.note)
        relay.notify(repository.COLLECTION, parked_id)
        return 200, _read(resolved)

    return await idempotency.answer(
        request, owner=principal.user_id, key=idempotency_key, payload=body, write=write
    )


@router.post(
    "/{parked_id}/replay",
    dependencies=[admit("parked messages", "manage")],
    response_model=ParkedRead,
    responses={
        404: {"description": "No such parked message in your county"},
        409: {"description": "Its kept copy is cut or unreadable, or it changed meanwhile"},
        503: {"description": "Not sent: retry with the same Idempotency-Key"},
    },
    summary="Send a failed message back to the queue that gave up on it (once its cause is "
    "fixed); it is marked resolved, and opens again if it fails again",
)
async def replay_parked(
    parked_id: Id,
    body: ResolveBody,
    request: Request,
    principal: CurrentUser,
    db: Db,
    runtime: RuntimeDep,
    relay: Relay,
    idempotency: Idempotency,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Replay it; who did it and when is kept with it and in its hazard's timeline."""

    async def write() -> tuple[int, ParkedRead]:
        replayed = await service.replay(db, runtime.broker, principal, parked_id, body.note)
        relay.notify(repository.COLLECTION, parked_id)
        return 200, _read(replayed)

    return await idempotency.answer(
        request, owner=principal.user_id, key=idempotency_key, payload=body, write=write
    )
