"""What an upload may be and what checking it makes: the limits, the clean image, its key.

The checking itself (`decoding.py`) runs in a separate decoder process (`worker.py`); this
module is what both sides of that pipe share, and imports no image library.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.media_storage.media.checks import ImageType

EXTENSION = {ImageType.JPEG: "jpg", ImageType.PNG: "png", ImageType.WEBP: "webp"}
THUMBNAIL_TYPE = ImageType.JPEG


@dataclass(frozen=True)
class Limits:
    """What an upload may be, and how the results are made."""

    max_bytes: int
    max_pixels: int
    max_edge: int = 2048
    thumbnail_px: int = 320
    quality: int = 85


@dataclass(frozen=True)
class CleanImage:
    """The image to serve and its thumbnail, both without metadata."""

    data: bytes
    content_type: ImageType
    width: int
    height: int
    thumbnail: bytes
