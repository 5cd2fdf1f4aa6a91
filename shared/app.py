"""Service defaults: what every Xiaoan FastAPI app has, so each `main.py` stays a few lines.

Error shape (bilingual), correlation ids and request metrics, `/healthz`, `/readyz`,
`/metrics`, CORS where configured, JSON logs, and `serve()` to run it under uvicorn.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

import uvicorn
from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from shared.errors import ERROR_RESPONSES, install_error_handlers
from shared.observability import health
from shared.observability.http import ObservabilityMiddleware
from shared.observability.logging import configure_logging
from shared.observability.metrics import ServiceMetrics
from shared.settings import CommonSettings

VERSION = "0.1.0"


class Lifespan(Protocol):
    def __call__(self, app: FastAPI) -> AbstractAsyncContextManager[None]: ...


def create_service_app(
    settings: CommonSettings,
    *,
    title: str,
    description: str,
    lifespan: Lifespan,
    routers: Sequence[APIRouter],
    openapi_tags: list[dict[str, Any]] | None = None,
) -> FastAPI:
    """Build a FastAPI app with the shared defaults around the service's own routers."""
    configure_logging(settings.service_name, settings.log_level)
    metrics = ServiceMetrics(settings.service_name)
    app = FastAPI(
        title=title,
        description=description,
        version=VERSION,
        lifespan=lifespan,
        openapi_tags=openapi_tags,
        responses=ERROR_RESPONSES,
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.readiness = {}
    install_error_handlers(app)
    app.add_middleware(ObservabilityMiddleware, metrics=metrics)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Correlation-ID"],
        )
    app.include_router(health.router)
    for router in routers:
        app.include_router(router)
    return app


def serve(app_factory: str, settings: CommonSettings, *, workers: int | None = None) -> None:
    """Run `app_factory` ('package.module:create_app') under uvicorn on the configured port."""
    uvicorn.run(
        app_factory,
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers or settings.workers,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=15,
    )
