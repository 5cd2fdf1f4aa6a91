"""FastAPI dependencies every service uses to reach its state on `app.state`.

async def route(db: Db, relay: Relay, idempotency: Idempotency) -> ...
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from pymongo.asynchronous.database import AsyncDatabase

from shared.idempotency import IdempotencyStore
from shared.outbox import OutboxRelay
from shared.runtime import Runtime

IDEMPOTENCY_COLLECTION = "idempotency_keys"


def get_runtime(request: Request) -> Runtime:
    """Return the service's open connections."""
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_db(request: Request) -> AsyncDatabase[dict[str, Any]]:
    """Return the service's own database."""
    return get_runtime(request).db


def get_relay(request: Request) -> OutboxRelay:
    """Return the outbox relay, to publish a write's events at once."""
    relay: OutboxRelay = request.app.state.relay
    return relay


def get_idempotency(request: Request) -> IdempotencyStore:
    """Return the store of Idempotency-Key answers."""
    return IdempotencyStore(get_db(request)[IDEMPOTENCY_COLLECTION])


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
Db = Annotated[AsyncDatabase[dict[str, Any]], Depends(get_db)]
Relay = Annotated[OutboxRelay, Depends(get_relay)]
Idempotency = Annotated[IdempotencyStore, Depends(get_idempotency)]
