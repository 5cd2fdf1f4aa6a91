"""Settings of media storage (env prefix MEDIA_STORAGE_, shared ones unprefixed)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import CommonSettings


class Settings(CommonSettings):
    """Where media storage listens, its bucket and its limits."""

    model_config = SettingsConfigDict(
        env_prefix="MEDIA_STORAGE_", extra="ignore", populate_by_name=True, frozen=True
    )

    service_name: str = "media_storage"
    port: int = 8003
    mongo_db: str = "xiaoan_media_storage"
    bucket: str = "xiaoan-media"
    max_upload_bytes: int = Field(10 * 1024 * 1024, gt=0)
    upload_url_seconds: int = Field(300, ge=30, le=900)
    view_url_seconds: int = Field(300, ge=30, le=900)
