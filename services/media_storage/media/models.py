"""Upload slots and stored media."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class MediaPurpose(StrEnum):
    """What a photo shows: the hazard as found, or the evidence of its rectification."""

    FINDING = "finding"
    RECTIFICATION = "rectification"


class ImageType(StrEnum):
    """Accepted image types."""

    JPEG = "image/jpeg"
    PNG = "image/png"


class UploadRequest(BaseModel):
    """Ask for a place to upload one photo."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"content_type": "image/jpeg", "size_bytes": 843210, "purpose": "finding"}]
        },
    )

    content_type: ImageType
    size_bytes: int = Field(gt=0, description="Exact size of the file to upload")
    purpose: MediaPurpose = MediaPurpose.FINDING


class UploadSlot(BaseModel):
    """Where and until when to PUT the file; then call confirm."""

    media_id: str
    upload_url: str
    method: str = "PUT"
    headers: dict[str, str]
    expires_at: datetime


class MediaRead(BaseModel):
    """A stored photo; `view_url` is short-lived."""

    media_id: str
    status: str
    content_type: str
    size_bytes: int
    purpose: MediaPurpose
    created_at: datetime
    view_url: str | None = None
