"""Hazard intake service: builds the app (`create_app`) and runs it (`python -m ...main`).

Reports are validated against intake's own copy of the registry's places and published with
publisher confirms; the 202 is sent only after RabbitMQ has stored the report. The report id
is derived from reporter and Idempotency-Key and the consumer (hazard cases) deduplicates on
it; the only database write on the path is the key record (for the 422 on a reused key),
written many reports per insert (reports/ledger.py). Well-formed report POSTs are served by a
lean ASGI lane in front of FastAPI (reports/fast_lane.py); everything else reaches the route.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from pymongo.asynchronous.database import AsyncDatabase
from starlette.middleware import Middleware

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
from services.hazard_intake.reports import repository as report_keys
from services.hazard_intake.reports.fast_lane import ReportFastLane
from services.hazard_intake.reports.ledger import KeyLedger
from services.hazard_intake.reports.routes import router as reports_router
from shared.app import create_service_app, serve
from shared.clock import utc_now
from shared.runtime import open_runtime

INDEXES = {report_keys.COLLECTION: report_keys.INDEXES, **open311_store.INDEXES}


async def forget_old_keys(db: AsyncDatabase[dict[str, Any]], settings: Settings) -> None:
    """Drop Idempotency-Keys older than the retry window, hourly (FerretDB has no TTL index)."""
    while True:
        await report_keys.forget_older_than(
            db, utc_now() - timedelta(days=settings.key_retention_days)
        )
        await asyncio.sleep(3600)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the hazard intake app."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_runtime(app, settings, indexes=INDEXES) as runtime:
            cache = PlaceCache(runtime.db, settings.place_cache_seconds)
            app.state.places = cache
            app.state.key_ledger = KeyLedger(
                runtime.db,
                linger=settings.key_group_linger_ms / 1000,
                group_size=settings.key_group_size,
            )
            place_handlers.subscribe(runtime.broker, runtime.db, cache)
            checkin_handlers.subscribe(runtime.broker, runtime.db)
            open311_handlers.subscribe(runtime.broker, runtime.db)
            await runtime.broker.start_consuming()
            runtime.run_in_background(lambda: forget_old_keys(runtime.db, settings))
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
        inner_middleware=[Middleware(ReportFastLane)] if settings.fast_lane else [],
    )


if __name__ == "__main__":
    settings = Settings()
    serve("services.hazard_intake.main:create_app", settings, workers=settings.workers)
