"""Grid registry service: builds the app (`create_app`) and runs it (`python -m ...main`).

The source of truth for "who answers for this place, now, and above them whom". It issues
the access tokens every service accepts and publishes GridChanged and RiskPointChanged so
that other services keep their own copies.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.grid_registry.admin.routes import router as admin_router
from services.grid_registry.assignments import archive
from services.grid_registry.assignments.routes import router as assignments_router
from services.grid_registry.audit import repository as audit
from services.grid_registry.audit.routes import router as audit_router
from services.grid_registry.auth.routes import router as auth_router
from services.grid_registry.config import Settings
from services.grid_registry.coverage.routes import router as coverage_router
from services.grid_registry.demo.guard import refuse_demo_accounts
from services.grid_registry.demo.seed import seed_demo
from services.grid_registry.duties import service as duties
from services.grid_registry.duties.routes import router as duties_router
from services.grid_registry.excel.routes import router as excel_router
from services.grid_registry.grids import repository as grids
from services.grid_registry.grids.routes import router as grids_router
from services.grid_registry.people import repository as people
from services.grid_registry.people.routes import router as people_router
from services.grid_registry.qr import repository as qr_tokens
from services.grid_registry.qr.routes import router as qr_router
from services.grid_registry.responsibility.cache import CHANGE_EVENTS, PlaceCache, forget_changed
from services.grid_registry.responsibility.routes import router as responsibility_router
from services.grid_registry.risk_points import repository as risk_points
from services.grid_registry.risk_points.routes import router as risk_points_router
from shared.app import create_service_app, serve
from shared.auth import TokenIssuer
from shared.runtime import open_runtime

INDEXES = {
    grids.COLLECTION: grids.INDEXES,
    risk_points.COLLECTION: risk_points.INDEXES,
    audit.COLLECTION: audit.INDEXES,
    qr_tokens.COLLECTION: qr_tokens.INDEXES,
    duties.COLLECTION: duties.INDEXES,
    archive.COLLECTION: archive.INDEXES,
    **people.INDEXES,
}


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the grid registry app."""
    settings = settings or Settings()
    assert settings.jwt_private_key_file is not None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.token_issuer = TokenIssuer(
            settings.jwt_private_key_file.read_bytes(),  # type: ignore[union-attr]
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )
        async with open_runtime(app, settings, indexes=INDEXES) as runtime:
            if not settings.is_dev:
                await refuse_demo_accounts(runtime.db)
            if settings.demo_data:
                await seed_demo(runtime.db)
            await runtime.start_outbox_relay(app, [grids.COLLECTION, risk_points.COLLECTION])
            cache = PlaceCache(runtime.db, ttl_seconds=settings.lookup_cache_seconds)
            app.state.place_cache = cache
            runtime.broker.subscribe_broadcast("lookup_cache", CHANGE_EVENTS, forget_changed(cache))
            await runtime.broker.start_consuming()
            # Ready only once loaded: a new replica then answers as fast as the others.
            await cache.warm()
            runtime.mark_ready(app)
            yield

    return create_service_app(
        settings,
        title="Xiaoan grid registry (网格登记)",
        description=(
            "The responsibility grid: grids, people, risk points and who answers for what. "
            "Issues the access tokens (OAuth2 password flow at /v1/auth/token) that every "
            "Xiaoan service accepts."
        ),
        lifespan=lifespan,
        routers=[
            auth_router,
            grids_router,
            people_router,
            risk_points_router,
            assignments_router,
            responsibility_router,
            coverage_router,
            duties_router,
            qr_router,
            excel_router,
            audit_router,
            admin_router,
        ],
    )


if __name__ == "__main__":
    settings = Settings()
    serve("services.grid_registry.main:create_app", settings, workers=settings.workers)
