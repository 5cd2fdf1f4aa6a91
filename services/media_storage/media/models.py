"""Upload slots and stored media, as clients see them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from services.media_storage.media.checks import ImageType
from shared.fields import Int64


class MediaPurpose(StrEnum):
    """What a photo shows: the hazard as found, or the evidence of its rectification."""

    FINDING = "finding"
    RECTIFICATION = "rectification"


class MediaStatus(StrEnum):
    """pending until confirmed; then stored (served) or rejected (deleted, never served)."""

    PENDING = "pending"
    STORED = "stored"
    REJECTED = "rejected"


class UploadRequest(BaseModel):
    """Ask for a place to upload one photo."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"content_type": "image/jpeg", "size_bytes": 843210, "purpose": "finding"}]
        },
    )

    content_type: ImageType = Field(
        description=(
            "image/jpeg, image/png, image/webp or image/heic (a HEIC photo is served as JPEG)"
        )
    )
    size_bytes: Int64 = Field(
        gt=0,
        description="Size of the file to upload, in bytes: the upload must be exactly this "
        "(at most MEDIA_STORAGE_MAX_UPLOAD_BYTES, else 422 too_large)",
    )
    purpose: MediaPurpose = MediaPurpose.FINDING


class UploadSlot(BaseModel):
    """An S3 POST policy: send multipart/form-data to `url` with `fields`, then `file` last."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "media_id": "0f8e2d6c4b1a49e8a7d3c5b2e1f09876",
                    "url": "https://s3.example.cn/xiaoan-media",
                    "fields": {
                        "key": "uploads/2026/11/0f8e2d6c4b1a49e8a7d3c5b2e1f09876",
                        "Content-Type": "image/jpeg",
                        "policy": "eyJleHBpcmF0aW9uIjoi...",
                        "x-amz-algorithm": "AWS4-HMAC-SHA256",
                        "x-amz-credential": "xiaoan/20261123/us-east-1/s3/aws4_request",
                        "x-amz-date": "20261123T081500Z",
                        "x-amz-signature": "5d1c...",
                    },
                    "expires_at": "2026-11-23T08:20:00Z",
                    "max_bytes": 10485760,
                }
            ]
        }
    )

    media_id: str
    url: str = Field(description="Where to POST the form (S3, as phones reach it)")
    fields: dict[str, str] = Field(description="Form fields to send as given, before the file")
    expires_at: datetime = Field(description="The policy is refused by S3 after this")
    max_bytes: int = Field(
        description="The limit on any upload; S3 refuses a file of another size than the "
        "declared size_bytes (EntityTooLarge, EntityTooSmall)"
    )


class Rejection(BaseModel):
    """Why an upload was refused."""

    reason: str = Field(examples=["not_an_image"])
    message_zh: str
    message_en: str


class MediaRead(BaseModel):
    """A photo; the URLs are given only once it was checked and stored, and expire in minutes."""

    media_id: str
    status: MediaStatus
    purpose: MediaPurpose
    content_type: str = Field(description="Of the served image (declared one while pending)")
    size_bytes: int
    width: int | None = None
    height: int | None = None
    owner_id: str
    report_id: str | None = Field(None, description="The report the photo was attached to")
    hazard_id: str | None = Field(
        None,
        description="The hazard it belongs to (the one its report opened or joined, or whose "
        "rectification it proves): who may see that hazard may see the photo",
    )
    created_at: datetime
    stored_at: datetime | None = None
    rejection: Rejection | None = None
    view_url: str | None = Field(None, description="Presigned GET of the image")
    thumbnail_url: str | None = Field(None, description="Presigned GET of a 320 px JPEG")
    urls_expire_at: datetime | None = None
