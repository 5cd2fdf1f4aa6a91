"""Hazard case service: builds the app (`create_app`) and runs it (`python -m ...main`).

Consumes reports (one hazard per report id, whatever the redeliveries; a repeated report on an
open point and category joins that hazard) and the registry's changes (to know who answers for
each place); runs the lifecycle actions and, in every replica, the escalation timers; keeps the
messages any service gave up on and flags their hazards; and publishes each hazard's changes
through the outbox kept inside the hazard document.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI

from services.hazard_cases.config import Settings
from services.hazard_cases.deadlines import repository as deadlines
from services.hazard_cases.deadlines.routes import router as deadlines_router
from services.hazard_cases.evidence import handlers as evidence_handlers
from services.hazard_cases.evidence import repository as evidence
from services.hazard_cases.hazards import claims, handlers, linked, timer_hints, timers
from services.hazard_cases.hazards import repository as hazards
from services.hazard_cases.hazards.routes import router as hazards_router
from services.hazard_cases.lists.routes import router as lists_router
from services.hazard_cases.parked import handlers as parked_handlers
from services.hazard_cases.parked import repository as parked
from services.hazard_cases.parked.routes import router as parked_router
from services.hazard_cases.stats import handlers as stats_handlers
from services.hazard_cases.stats import repository as stats
from services.hazard_cases.stats import service as stats_service
from services.hazard_cases.stats.routes import router as stats_router
from shared.app import create_service_app, serve
from shared.runtime import open_runtime

INDEXES = {
    hazards.COLLECTION: hazards.INDEXES,
    claims.COLLECTION: [],
    timer_hints.COLLECTION: timer_hints.INDEXES,
    linked.COLLECTION: linked.INDEXES,
    linked.REPORTERS: [],
    deadlines.COLLECTION: [],
    evidence.COLLECTION: [],
    stats.FACTS: [],
    stats.MONTHS: [],
    stats.DUE: [],
    stats.OVERDUE: [],
    stats.CELLS: [],
    stats.SCHOOL_LISTS: [],
    stats.MARKS: [],
    parked.COLLECTION: parked.INDEXES,
}


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the hazard case app."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_runtime(app, settings, indexes=INDEXES) as runtime:
            relay = await runtime.start_outbox_relay(
                app, [hazards.COLLECTION, linked.COLLECTION, parked.COLLECTION]
            )
            policies = deadlines.PolicyBook(runtime.db)
            app.state.policies = policies
            window = timedelta(hours=settings.duplicate_window_hours)
            handlers.subscribe(runtime.broker, runtime.db, relay, policies, window)
            stats_handlers.subscribe(runtime.broker, runtime.db)
            evidence_handlers.subscribe(runtime.broker, runtime.db)
            parked_handlers.subscribe(runtime.broker, runtime.db, relay, runtime.metrics)
            runtime.run_in_background(lambda: stats_service.keep_current(runtime.db, 0.5))
            await runtime.broker.start_consuming()
            interval = settings.timer_interval_seconds
            runtime.run_in_background(
                lambda: timers.run_timers(runtime.db, policies, relay, interval)
            )
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
        routers=[hazards_router, lists_router, stats_router, deadlines_router, parked_router],
    )


if __name__ == "__main__":
    settings = Settings()
    serve("services.hazard_cases.main:create_app", settings, workers=settings.workers)
