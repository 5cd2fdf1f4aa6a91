"""Media-storage-specific request dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.media_storage.config import Settings
from services.media_storage.media.worker import ImageWorker
from shared.observability.metrics import ServiceMetrics
from shared.storage import ObjectStore


async def get_settings(request: Request) -> Settings:
    """Return the service's settings."""
    settings: Settings = request.app.state.settings
    return settings


async def get_store(request: Request) -> ObjectStore:
    """Return the S3 client (opened at start-up)."""
    store: ObjectStore | None = request.app.state.runtime.store
    if store is None:
        raise RuntimeError("media storage started without S3")
    return store


async def get_image_worker(request: Request) -> ImageWorker:
    """Return the worker that checks and cleans uploads in decoder processes."""
    worker: ImageWorker = request.app.state.image_worker
    return worker


async def get_metrics(request: Request) -> ServiceMetrics:
    """Return the service's metrics."""
    metrics: ServiceMetrics = request.app.state.metrics
    return metrics


SettingsDep = Annotated[Settings, Depends(get_settings)]
Store = Annotated[ObjectStore, Depends(get_store)]
ImageWorkerDep = Annotated[ImageWorker, Depends(get_image_worker)]
Metrics = Annotated[ServiceMetrics, Depends(get_metrics)]
