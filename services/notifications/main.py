"""Notification service: builds the app (`create_app`) and runs it (`python -m ...main`).

Turns events that concern a person (a hazard assigned to them) into in-app notifications,
exactly once per event and person.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.notifications.config import Settings
from services.notifications.inbox import handlers
from services.notifications.inbox import repository as inbox
from services.notifications.inbox.routes import router as inbox_router
from shared.app import create_service_app, serve
from shared.runtime import open_runtime

INDEXES = {inbox.COLLECTION: inbox.INDEXES}


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the notification app."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_runtime(app, settings, indexes=INDEXES) as runtime:
            handlers.subscribe(runtime.broker, runtime.db)
            await runtime.broker.start_consuming()
            runtime.mark_ready(app)
            yield

    return create_service_app(
        settings,
        title="Xiaoan notifications (消息通知)",
        description="In-app notifications for each person: what was assigned to them, and more.",
        lifespan=lifespan,
        routers=[inbox_router],
    )


if __name__ == "__main__":
    settings = Settings()
    serve("services.notifications.main:create_app", settings, workers=settings.workers)
