"""Hazard intake service: builds the app (`create_app`) and runs it (`python -m ...main`).

Reports are validated against intake's own copy of the registry's places and published with
publisher confirms; the 202 is sent only after RabbitMQ has stored the report. The report id
is derived from reporter and Idempotency-Key and the consumer (hazard cases) deduplicates on
it; the first answer of each key is kept in the store every replica shares (a retry replays
it, another body is 422), and senders are throttled there too. No database is asked on the
path.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.hazard_intake.checkins import handlers as checkin_handlers
from services.hazard_intake.checkins.routes import router as checkins_router
from services.hazard_intake.config import Settings
from services.hazard_intake.mobile.routes import router as mobile_router
from services.hazard_intake.open311 import handlers as open311_handlers
from services.hazard_intake.open311 import repository as open311_store
from services.hazard_intake.open311.client_routes import router as open311_clients_router
from services.hazard_intake.open311.routes import router as open311_router
from services.hazard_intake.places import handlers as place_handlers
from services.hazard_intake.places.cache import PlaceCache
from services.hazard_intake.places.routes import router as places_router
from services.hazard_intake.reports.routes import router as reports_router
from services.hazard_intake.throttles import Throttles
from shared.app import create_service_app, serve
from shared.runtime import open_runtime

INDEXES = open311_store.INDEXES


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the hazard intake app."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_runtime(app, settings, indexes=INDEXES) as runtime:
            cache = PlaceCache(runtime.db, settings.place_cache_seconds)
            app.state.places = cache
            app.state.throttles = Throttles.from_settings(runtime.limiters, settings)
            place_handlers.subscribe(runtime.broker, runtime.db, cache)
            checkin_handlers.subscribe(runtime.broker, runtime.db)
            open311_handlers.subscribe(runtime.broker, runtime.db)
            await runtime.broker.start_consuming()
            runtime.mark_ready(app)
            yield

    return create_service_app(
        settings,
        title="Xiaoan hazard intake (隐患上报)",
        description=(
            "The front door for hazard reports from phones. Every POST takes an "
            "Idempotency-Key; a 202 means the report is stored and will not be lost or doubled."
        ),
        lifespan=lifespan,
        routers=[
            reports_router,
            places_router,
            checkins_router,
            mobile_router,
            open311_router,
            open311_clients_router,
        ],
    )


if __name__ == "__main__":
    settings = Settings()
    serve("services.hazard_intake.main:create_app", settings, workers=settings.workers)
