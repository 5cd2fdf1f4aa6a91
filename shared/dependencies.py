"""FastAPI dependencies every service uses to reach its state on `app.state`.

They are `async def` on purpose: FastAPI runs plain `def` dependencies in a thread pool, a
thread hop per request that costs more than the lookup itself.

async def route(db: Db, relay: Relay, idempotency: Idempotency) -> ...
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from pymongo.asynchronous.database import AsyncDatabase

from shared.idempotency import IdempotencyStore
from shared.outbox import OutboxRelay
from shared.runtime import Runtime


async def get_runtime(request: Request) -> Runtime:
    """Return the service's open connections."""
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_db(request: Request) -> AsyncDatabase[dict[str, Any]]:
    """Return the service's own database."""
    runtime: Runtime = request.app.state.runtime
    return runtime.db


async def get_relay(request: Request) -> OutboxRelay:
    """Return the outbox relay, to publish a write's events at once."""
    relay: OutboxRelay = request.app.state.relay
    return relay


async def get_idempotency(request: Request) -> IdempotencyStore:
    """Return the store of Idempotency-Key answers."""
    runtime: Runtime = request.app.state.runtime
    return runtime.idempotency


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
Db = Annotated[AsyncDatabase[dict[str, Any]], Depends(get_db)]
Relay = Annotated[OutboxRelay, Depends(get_relay)]
Idempotency = Annotated[IdempotencyStore, Depends(get_idempotency)]
