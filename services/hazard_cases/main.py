"""Hazard case service: builds the app (`create_app`) and runs it (`python -m ...main`).

Consumes reports (one hazard per report id, whatever the redeliveries) and the registry's
changes (to know who answers for each place), and publishes each hazard's changes through the
outbox kept inside the hazard document.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.hazard_cases.config import Settings
from services.hazard_cases.hazards import handlers
from services.hazard_cases.hazards import repository as hazards
from services.hazard_cases.hazards.routes import router as hazards_router
from shared.app import create_service_app, serve
from shared.runtime import open_runtime

INDEXES = {hazards.COLLECTION: hazards.INDEXES}


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the hazard case app."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_runtime(app, settings, indexes=INDEXES) as runtime:
            relay = await runtime.start_outbox_relay(app, [hazards.COLLECTION])
            handlers.subscribe(runtime.broker, runtime.db, relay)
            await runtime.broker.start_consuming()
            runtime.mark_ready(app)
            yield

    return create_service_app(
        settings,
        title="Xiaoan hazard cases (隐患闭环管理)",
        description=(
            "The closed loop of every hazard: reported → assigned → rectifying → rectified → "
            "verified and closed, with deadlines, escalation and an append-only timeline."
        ),
        lifespan=lifespan,
        routers=[hazards_router],
    )


if __name__ == "__main__":
    settings = Settings()
    serve("services.hazard_cases.main:create_app", settings, workers=settings.workers)
