"""Command centre service: builds the app (`create_app`) and runs it (`python -m ...main`).

Keeps a board of every hazard from the case service's events, a feed of every event in
Xiaoan, and serves the live page at / that operators watch.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from services.command_centre.activity import handlers as activity_handlers
from services.command_centre.activity import repository as activity
from services.command_centre.alerts import handlers as alert_handlers
from services.command_centre.alerts import repository as alerts
from services.command_centre.board import handlers as board_handlers
from services.command_centre.board import repository as board
from services.command_centre.board.routes import router as board_router
from services.command_centre.config import Settings
from services.command_centre.page.routes import STATIC_DIR
from services.command_centre.page.routes import router as page_router
from shared.app import create_service_app, serve
from shared.runtime import open_runtime

INDEXES = {
    board.COLLECTION: board.INDEXES,
    activity.COLLECTION: activity.INDEXES,
    alerts.COLLECTION: alerts.INDEXES,
}


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the command centre app."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_runtime(app, settings, indexes=INDEXES) as runtime:
            board_handlers.subscribe(runtime.broker, runtime.db)
            activity_handlers.subscribe(runtime.broker, runtime.db)
            alert_handlers.subscribe(runtime.broker, runtime.db)
            await runtime.broker.start_consuming()
            runtime.mark_ready(app)
            yield

    app = create_service_app(
        settings,
        title="Xiaoan command centre (指挥中心)",
        description="The live board of every hazard in the operator's area, and its page at /.",
        lifespan=lifespan,
        routers=[board_router, page_router],
    )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


if __name__ == "__main__":
    settings = Settings()
    serve("services.command_centre.main:create_app", settings, workers=settings.workers)
