"""Agency integration service: builds the app (`create_app`) and runs it (`python -m ...main`).

Refers each new hazard to every agency subscribed to its category in its area, queues a
delivery to those with a webhook, and sends it signed per the Standard Webhooks spec, retrying
with back-off. Each referral is announced (HazardReferred, so that media storage shows the
agency the hazard's photos), and agencies answer back with dispositions, both published through
the outbox kept in each referral.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from services.agency_integration.agencies import repository as agencies
from services.agency_integration.agencies.routes import router as agencies_router
from services.agency_integration.config import Settings
from services.agency_integration.deliveries import handlers
from services.agency_integration.deliveries import repository as deliveries
from services.agency_integration.deliveries.worker import DeliveryWorker
from services.agency_integration.demo.seed import seed_demo
from services.agency_integration.referrals import repository as referrals
from services.agency_integration.referrals.routes import feed_router
from services.agency_integration.referrals.routes import router as referrals_router
from shared.app import create_service_app, serve
from shared.runtime import open_runtime

INDEXES = {
    agencies.COLLECTION: agencies.INDEXES,
    deliveries.COLLECTION: deliveries.INDEXES,
    referrals.COLLECTION: referrals.INDEXES,
}


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the agency integration app."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The client outlives the runtime, whose shutdown stops the worker that uses it.
        async with (
            # No proxy from the environment: a delivery goes straight to the address it checked
            # (deliveries/sending.py), which a proxy tunnel would not keep.
            httpx.AsyncClient(follow_redirects=False, trust_env=False) as client,
            open_runtime(app, settings, indexes=INDEXES) as runtime,
        ):
            relay = await runtime.start_outbox_relay(app, [referrals.COLLECTION])
            if settings.demo_data:
                await seed_demo(runtime.db)
            handlers.subscribe(runtime.broker, runtime.db, relay)
            await runtime.broker.start_consuming()
            worker = DeliveryWorker(
                runtime.db,
                client,
                runtime.metrics,
                retry_seconds=settings.webhook_retry_seconds,
                poll_seconds=settings.delivery_poll_seconds,
                timeout_seconds=settings.webhook_timeout_seconds,
                targets=settings.webhook_targets(),
            )
            runtime.run_in_background(worker.run)
            runtime.mark_ready(app)
            yield

    return create_service_app(
        settings,
        title="Xiaoan agency integration (部门协同)",
        description=(
            "Police, market regulators and other agencies receive the hazards that concern "
            "them as signed webhooks (Standard Webhooks: webhook-id, webhook-timestamp, "
            "webhook-signature), and answer back with dispositions (处置反馈) that join the "
            "hazard's timeline."
        ),
        lifespan=lifespan,
        routers=[agencies_router, referrals_router, feed_router],
    )


if __name__ == "__main__":
    settings = Settings()
    serve("services.agency_integration.main:create_app", settings, workers=settings.workers)
