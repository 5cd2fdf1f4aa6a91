"""Events of media storage: photos that passed the checks, and uploads that were refused."""

from __future__ import annotations

from pydantic import Field

from shared.events.base import Event


class MediaStored(Event, routing_key="media_storage.media.stored"):
    """An uploaded photo was checked, cleaned of its metadata and may now be served."""

    media_id: str
    owner_id: str
    content_type: str = Field(description="Type of the cleaned image (image/jpeg|png|webp)")
    size_bytes: int = Field(description="Size of the cleaned image")
    object_key: str = Field(description="S3 key of the cleaned image (never the upload)")
    purpose: str = Field(
        "finding", description="finding (the hazard as found) or rectification (the evidence)"
    )
    width: int | None = Field(None, description="Pixels, after the EXIF orientation was applied")
    height: int | None = None
    thumbnail_key: str | None = Field(None, description="S3 key of the JPEG thumbnail")


class MediaRejected(Event, routing_key="media_storage.media.rejected"):
    """An upload failed the checks; it was deleted and is never served."""

    media_id: str
    owner_id: str
    purpose: str = Field("finding", description="finding or rectification")
    reason: str = Field(
        description="too_large, not_an_image, too_many_pixels or unreadable",
        examples=["not_an_image"],
    )
