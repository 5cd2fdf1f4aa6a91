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
    max_upload_bytes: int = Field(10 * 1024 * 1024, gt=0, description="S3 refuses larger files")
    max_image_pixels: int = Field(
        40_000_000, gt=0, description="Width × height read from the header, before decoding"
    )
    upload_url_seconds: int = Field(300, ge=10, le=900, description="Life of an upload policy")
    view_url_seconds: int = Field(300, ge=1, le=900, description="Life of a viewing URL")
    max_edge_px: int = Field(
        2048, ge=320, le=8192, description="Long side of the served image (larger ones are scaled)"
    )
    thumbnail_px: int = Field(320, ge=32, le=2048, description="Long side of the thumbnail")
    image_quality: int = Field(85, ge=30, le=95, description="JPEG/WebP quality when re-encoding")
    check_concurrency: int = Field(
        1,
        ge=1,
        le=16,
        description="Uploads decoded at once per process, each in its own decoder process of "
        "up to ~200 MB for the largest images (bounds memory)",
    )
    upload_retention_days: int = Field(
        1, ge=1, description="S3 deletes uploads never confirmed after this many days"
    )
