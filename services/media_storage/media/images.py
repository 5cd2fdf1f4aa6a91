"""Turning a checked upload into the image that is served: upright, re-encoded, no metadata.

Photos from phones carry EXIF (GPS position, device, time) and sometimes XMP: the positions of
students and teachers. The served image is re-encoded from its pixels alone, with the EXIF
orientation applied first, so nothing of the original file but the picture remains. The work
is CPU-bound and runs in a thread (`ImageWorker`), a bounded number at a time so that a burst
of uploads cannot multiply the memory a large photo needs.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass

import pillow_heif
from PIL import Image, ImageOps

from services.media_storage.media.checks import ImageType, Rejected, RejectReason, check

# Only the primary image is served: thumbnails, depth and auxiliary maps are not even listed.
pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)

# Pillow's plugin name for each accepted type: the file is opened only as what it claims to be.
_PILLOW_FORMAT = {
    ImageType.JPEG: "JPEG",
    ImageType.PNG: "PNG",
    ImageType.WEBP: "WEBP",
    ImageType.HEIC: "HEIF",
}
# Browsers other than Safari cannot show HEIC: it is served as JPEG.
_SERVED_AS = {ImageType.HEIC: ImageType.JPEG}
EXTENSION = {ImageType.JPEG: "jpg", ImageType.PNG: "png", ImageType.WEBP: "webp"}
THUMBNAIL_TYPE = ImageType.JPEG


@dataclass(frozen=True)
class Limits:
    """What an upload may be, and how the results are made."""

    max_bytes: int
    max_pixels: int
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


def clean(data: bytes, limits: Limits) -> CleanImage:
    """Check `data`, then decode it, apply its orientation and re-encode it without metadata.

    Raises Rejected; nothing is decoded before the header's dimensions passed the check.
    """
    kind, width, height = check(data, max_bytes=limits.max_bytes, max_pixels=limits.max_pixels)
    try:
        image = Image.open(io.BytesIO(data), formats=[_PILLOW_FORMAT[kind]])
        if not _as_declared(image.size, (width, height), kind):
            raise Rejected(RejectReason.UNREADABLE)
        image.load()
        ImageOps.exif_transpose(image, in_place=True)
        kind = _SERVED_AS.get(kind, kind)
        upright = _normalised(image, kind)
    except Image.DecompressionBombError as exc:
        raise Rejected(RejectReason.TOO_MANY_PIXELS) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        # Truncated or malformed data (UnidentifiedImageError is an OSError).
        raise Rejected(RejectReason.UNREADABLE) from exc
    del image
    encoded = _encode(upright, kind, limits.quality)
    thumbnail = _thumbnail(upright, limits.thumbnail_px)
    return CleanImage(encoded, kind, upright.width, upright.height, thumbnail)


def _as_declared(decoded: tuple[int, int], declared: tuple[int, int], kind: ImageType) -> bool:
    """Tell whether the image about to be decoded has the size its header was checked for."""
    if kind is ImageType.HEIC:
        # The largest extents are the coded image's: the decoder may crop it (clap, padding
        # to whole blocks) and turn it (irot), never make it larger.
        return decoded[0] * decoded[1] <= declared[0] * declared[1]
    return decoded == declared


def _normalised(image: Image.Image, kind: ImageType) -> Image.Image:
    """Return pixels in a mode the output format stores, with no metadata attached."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if kind is ImageType.JPEG:
        target = "L" if image.mode == "L" else "RGB"
    elif has_alpha:
        target = "RGBA"
    else:
        target = "L" if image.mode in ("1", "L") and kind is ImageType.PNG else "RGB"
    result = image if image.mode == target else image.convert(target)
    # Encoders copy some entries of `info` by default (a JPEG comment, a PNG ICC profile):
    # with it empty, only pixels are written.
    result.info = {}
    return result


def _encode(image: Image.Image, kind: ImageType, quality: int) -> bytes:
    out = io.BytesIO()
    if kind is ImageType.JPEG:
        image.save(out, "JPEG", quality=quality)
    elif kind is ImageType.PNG:
        image.save(out, "PNG")
    else:
        image.save(out, "WEBP", quality=quality)
    return out.getvalue()


def _thumbnail(image: Image.Image, size: int) -> bytes:
    if max(image.size) <= size:
        small = image.copy()
    else:
        small = image.resize(_fit(image.size, size), Image.Resampling.LANCZOS, reducing_gap=3.0)
    if small.mode in ("RGBA", "LA"):
        background = Image.new("RGB", small.size, "white")
        background.paste(small, mask=small.getchannel("A"))
        small = background
    elif small.mode != "RGB":
        small = small.convert("RGB")
    out = io.BytesIO()
    small.save(out, "JPEG", quality=80)
    return out.getvalue()


def _fit(size: tuple[int, int], longest: int) -> tuple[int, int]:
    width, height = size
    scale = longest / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


class ImageWorker:
    """Run `clean` in worker threads, at most `concurrency` at a time."""

    def __init__(self, limits: Limits, *, concurrency: int = 2) -> None:
        self.limits = limits
        self._slots = asyncio.Semaphore(concurrency)
        # Pillow's own guard, process-wide, behind the header check: it refuses to open
        # anything above twice this many pixels.
        Image.MAX_IMAGE_PIXELS = limits.max_pixels

    async def clean(self, data: bytes) -> CleanImage:
        """Check and clean one upload off the event loop; raises Rejected."""
        async with self._slots:
            return await asyncio.to_thread(clean, data, self.limits)
