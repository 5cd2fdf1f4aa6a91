"""Media storage service: builds the app (`create_app`) and runs it (`python -m ...main`).

Phones upload photos straight to S3 through short-lived presigned URLs; the service checks
what arrived before anyone may view it, and announces stored media (MediaStored).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.media_storage.config import Settings
from services.media_storage.media import repository as media
from services.media_storage.media.routes import router as media_router
from shared import idempotency
from shared.app import create_service_app, serve
from shared.dependencies import IDEMPOTENCY_COLLECTION
from shared.runtime import open_runtime

INDEXES = {media.COLLECTION: media.INDEXES, IDEMPOTENCY_COLLECTION: idempotency.INDEXES}


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the media storage app."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_runtime(
            app, settings, indexes=INDEXES, buckets=[settings.bucket]
        ) as runtime:
            await runtime.start_outbox_relay(app, [media.COLLECTION])
            runtime.mark_ready(app)
            yield

    return create_service_app(
        settings,
        title="Xiaoan media storage (图片存储)",
        description=(
            "Upload slots (presigned S3 URLs valid for minutes), upload checks, and short-lived "
            "viewing URLs for photos of hazards and their rectification."
        ),
        lifespan=lifespan,
        routers=[media_router],
    )


if __name__ == "__main__":
    settings = Settings()
    serve("services.media_storage.main:create_app", settings, workers=settings.workers)
