"""Media storage service: builds the app (`create_app`) and runs it (`python -m ...main`).

Phones upload photos straight to S3 through short-lived POST policies; the service checks what
arrived (size, magic bytes, pixel count from the header), serves only a re-encoded copy without
metadata, at most `MEDIA_STORAGE_MAX_EDGE_PX` on its long side, and announces the outcome
(MediaStored, MediaRejected). Images are decoded in decoder processes of its own
(`media/worker.py`), one at a time by default, so that its memory stays bounded and returns.
A photo is shown to its uploader and to whoever may see the hazard it is attached to: the
service keeps its own copy of what decides that (`hazards/`: where each hazard lies, who
reported, joined or must rectify it, the agencies it was referred to), from the case service's
and agency integration's events.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.media_storage.config import Settings
from services.media_storage.hazards import handlers as hazard_handlers
from services.media_storage.media import handlers, service
from services.media_storage.media import repository as media
from services.media_storage.media.decoder import return_freed_buffers
from services.media_storage.media.images import Limits
from services.media_storage.media.routes import router as media_router
from services.media_storage.media.worker import ImageWorker
from shared.app import create_service_app, serve
from shared.runtime import open_runtime

INDEXES = {media.COLLECTION: media.INDEXES}
UPLOADS_PREFIX = "uploads/"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the media storage app."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_runtime(
            app, settings, indexes=INDEXES, buckets=[settings.bucket]
        ) as runtime:
            assert runtime.store is not None
            # Uploads never confirmed (they may carry GPS) do not stay in the bucket.
            await runtime.store.expire_prefix(
                settings.bucket, UPLOADS_PREFIX, days=settings.upload_retention_days
            )
            return_freed_buffers()
            app.state.image_worker = worker = ImageWorker(
                Limits(
                    max_bytes=settings.max_upload_bytes,
                    max_pixels=settings.max_image_pixels,
                    max_edge=settings.max_edge_px,
                    thumbnail_px=settings.thumbnail_px,
                    quality=settings.image_quality,
                ),
                concurrency=settings.check_concurrency,
            )
            service.register_metrics(runtime.metrics)
            await runtime.start_outbox_relay(app, [media.COLLECTION])
            handlers.subscribe(runtime.broker, runtime.db)
            hazard_handlers.subscribe(runtime.broker, runtime.db)
            await runtime.broker.start_consuming()
            runtime.mark_ready(app)
            try:
                yield
            finally:
                await worker.close()

    return create_service_app(
        settings,
        title="Xiaoan media storage (图片存储)",
        description=(
            "Upload slots (S3 POST policies valid for minutes), checks of what was uploaded "
            "(size, type, pixel count; metadata such as GPS removed), and short-lived viewing "
            "URLs for photos of hazards and their rectification."
        ),
        lifespan=lifespan,
        routers=[media_router],
    )


if __name__ == "__main__":
    settings = Settings()
    serve("services.media_storage.main:create_app", settings, workers=settings.workers)
