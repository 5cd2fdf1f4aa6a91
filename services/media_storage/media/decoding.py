"""Turning a checked upload into the image that is served: upright, at most `max_edge` pixels on
its long side, re-encoded, no metadata.

Photos from phones carry EXIF (GPS position, device, time) and sometimes XMP: the positions of
students and teachers. The served image is re-encoded from its pixels alone, with the EXIF
orientation applied, so nothing of the original file but the picture remains.

Memory is what the checks cannot see: a 155 KB PNG may declare 40 MP, 160 MB once decoded. So
each format is decoded as small as it allows, and no second full-size copy is ever made:

- JPEG: libjpeg scales while decoding (`draft`, 1/2 to 1/8), so a large photo is never held at
  full size (a progressive JPEG still needs libjpeg's full-size coefficient buffer);
- WebP: libwebp scales while decoding (`webp.py`);
- PNG and HEIC are decoded whole (neither decoder can scale), then converted and reduced band by
  band into the smaller image, and the full-size pixels are dropped before anything else.

This module runs in the decoder process (`decoder.py`), never in the service itself.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator

from PIL import ExifTags, Image

from services.media_storage.media import webp
from services.media_storage.media.checks import ImageType, Rejected, RejectReason, check
from services.media_storage.media.images import CleanImage, Limits

# Pillow's plugin name for each type Pillow opens: the file is opened only as what it claims.
_PILLOW_FORMAT = {ImageType.JPEG: "JPEG", ImageType.PNG: "PNG", ImageType.WEBP: "WEBP"}
# Browsers other than Safari cannot show HEIC: it is served as JPEG.
_SERVED_AS = {ImageType.HEIC: ImageType.JPEG}
# EXIF orientation → the turn that makes the picture upright (as ImageOps.exif_transpose).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# Pixels converted at a time when reducing a full-size image (1 MB in RGBA).
_BAND_PIXELS = 1 << 18
_THUMBNAIL_QUALITY = 80

# Yields `count` rows of an image from row `top`, as a Pillow image.
_Rows = Callable[[int, int], Image.Image]


def clean(data: bytes, limits: Limits) -> CleanImage:
    """Check `data`, then decode it reduced, turn it upright and re-encode it without metadata.

    Raises Rejected; nothing is decoded before the header's dimensions passed the check.
    """
    kind, width, height = check(data, max_bytes=limits.max_bytes, max_pixels=limits.max_pixels)
    # Pillow's own guard, behind the header check: it refuses to open anything above twice
    # this many pixels (this process decodes nothing else).
    Image.MAX_IMAGE_PIXELS = limits.max_pixels
    served = _SERVED_AS.get(kind, kind)
    try:
        if kind is ImageType.HEIC:
            picture = _heic(data, (width, height), limits.max_edge)
        else:
            picture = _pillow(data, kind, (width, height), limits.max_edge)
    except Image.DecompressionBombError as exc:
        raise Rejected(RejectReason.TOO_MANY_PIXELS) from exc
    except (OSError, SyntaxError, ValueError, EOFError, RuntimeError) as exc:
        # Truncated or malformed data (UnidentifiedImageError is an OSError).
        raise Rejected(RejectReason.UNREADABLE) from exc
    # Encoders copy some entries of `info` by default (a JPEG comment, a PNG ICC profile):
    # with it empty, only pixels are written.
    picture.info = {}
    encoded = _encode(picture, served, limits.quality)
    thumbnail = _thumbnail(picture, limits.thumbnail_px)
    return CleanImage(encoded, served, picture.width, picture.height, thumbnail)


def _pillow(data: bytes, kind: ImageType, declared: tuple[int, int], max_edge: int) -> Image.Image:
    """Decode a JPEG, PNG or WebP at most `max_edge` on its long side, turned upright."""
    source = Image.open(io.BytesIO(data), formats=[_PILLOW_FORMAT[kind]])
    if source.size != declared:
        raise Rejected(RejectReason.UNREADABLE)
    mode = _served_mode(source, _SERVED_AS.get(kind, kind))
    target = _fit(source.size, max_edge)
    if kind is ImageType.WEBP:
        orientation = _orientation(source)
        # Scaled by libwebp as it decodes; Pillow only read the header and the metadata.
        picture = _converted(webp.decode(data, target), mode)
    else:
        if kind is ImageType.JPEG:
            source.draft(None, target)  # libjpeg's scaled decoding: the largest scale ≥ target
        source.load()
        orientation = _orientation(source)  # a PNG's eXIf chunk may follow its pixels
        reduced = _reduced(source, mode, target)
        del source  # the full-size pixels go before the last step
        picture = _resampled(reduced, target)
    turn = _UPRIGHT.get(orientation)
    return picture.transpose(turn) if turn is not None else picture


def _heic(data: bytes, declared: tuple[int, int], max_edge: int) -> Image.Image:
    """Decode a HEIC's primary image at most `max_edge` on its long side.

    HEIF turns its images by its own boxes (irot, imir), which libheif applies while decoding;
    the EXIF orientation must then be ignored, or an iPhone's photo would turn twice.
    """
    import pillow_heif  # only HEIC needs libheif in this process

    heif = pillow_heif.open_heif(data, convert_hdr_to_8bit=True, remove_stride=False)
    primary = heif[heif.primary_index]
    width, height = primary.size
    # The largest extents are the coded image's: the decoder may crop it (clap, padding to whole
    # blocks) and turn it (irot), never make it larger.
    if width * height > declared[0] * declared[1]:
        raise Rejected(RejectReason.UNREADABLE)
    pixels = memoryview(primary.data)  # decodes, here
    stride, raw_mode = primary.stride, primary.mode
    mode = "L" if raw_mode == "L" else "RGB"  # served as JPEG
    del heif, primary

    def rows(top: int, count: int) -> Image.Image:
        band = pixels[top * stride : (top + count) * stride]
        return Image.frombytes(raw_mode, (width, count), band, "raw", raw_mode, stride)

    target = _fit((width, height), max_edge)
    reduced = _reduced_in_bands(rows, (width, height), mode, target)
    pixels.release()  # the full-size pixels go before the last step
    return _resampled(reduced, target)


def _served_mode(image: Image.Image, served: ImageType) -> str:
    """Return the mode the served format stores the image in."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if served is ImageType.JPEG:
        return "L" if image.mode == "L" else "RGB"
    if has_alpha:
        return "RGBA"
    return "L" if image.mode in ("1", "L") and served is ImageType.PNG else "RGB"


def _reduced(image: Image.Image, mode: str, target: tuple[int, int]) -> Image.Image:
    """Return `image` in `mode`, reduced towards `target`, without a second full-size copy."""
    if image.mode == mode and min(image.width // target[0], image.height // target[1]) < 2:
        return image  # nothing to convert, and less than half to take off
    return _reduced_in_bands(
        lambda top, count: image.crop((0, top, image.width, top + count)),
        image.size,
        mode,
        target,
    )


def _reduced_in_bands(
    rows: _Rows, size: tuple[int, int], mode: str, target: tuple[int, int]
) -> Image.Image:
    """Build the image `rows` yields, in `mode`, reduced by the whole factor that keeps it at
    least `target` (box averaging), converting one band at a time."""
    width, height = size
    factor = max(1, min(width // target[0], height // target[1]))
    reduced = Image.new(mode, (-(-width // factor), -(-height // factor)))
    for top, count in _bands(width, height, factor):
        band = _converted(rows(top, count), mode)
        reduced.paste(band.reduce(factor) if factor > 1 else band, (0, top // factor))
    return reduced


def _resampled(image: Image.Image, target: tuple[int, int]) -> Image.Image:
    """Return `image` resampled to `target` (Lanczos), or itself at that size already."""
    return image if image.size == target else image.resize(target, Image.Resampling.LANCZOS)


def _bands(width: int, height: int, factor: int) -> Iterator[tuple[int, int]]:
    """Yield (top, rows) covering `height`, each band a whole number of `factor` rows."""
    rows = max(factor, _BAND_PIXELS // max(1, width) // factor * factor)
    for top in range(0, height, rows):
        yield top, min(rows, height - top)


def _converted(image: Image.Image, mode: str) -> Image.Image:
    return image if image.mode == mode else image.convert(mode)


def _orientation(image: Image.Image) -> int:
    """Return the EXIF (or XMP) orientation, 1 when there is none or it makes no sense."""
    value = image.getexif().get(ExifTags.Base.Orientation, 1)
    return value if isinstance(value, int) else 1


def _fit(size: tuple[int, int], longest: int) -> tuple[int, int]:
    """Return `size` scaled so its long side is at most `longest` (never enlarged)."""
    width, height = size
    if max(width, height) <= longest:
        return size
    scale = longest / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


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
    small = image.resize(_fit(image.size, size), Image.Resampling.LANCZOS, reducing_gap=3.0)
    if small.mode in ("RGBA", "LA"):
        background = Image.new("RGB", small.size, "white")
        background.paste(small, mask=small.getchannel("A"))
        small = background
    elif small.mode != "RGB":
        small = small.convert("RGB")
    out = io.BytesIO()
    small.save(out, "JPEG", quality=_THUMBNAIL_QUALITY)
    return out.getvalue()
