"""Checks on the raw bytes of an upload, made before any image library touches them.

The type comes from the magic bytes (never from the name or the declared Content-Type), and the
dimensions from the format's own header (PNG IHDR, JPEG SOFn, WebP VP8/VP8L/VP8X, HEIC's image
spatial extents), so a decompression bomb (a small file declaring 50,000 × 50,000 pixels) is
refused before a single pixel is decoded.
"""

from __future__ import annotations

from enum import StrEnum


class ImageType(StrEnum):
    """Accepted image types. HEIC (iPhones' camera format) is read through pillow-heif."""

    JPEG = "image/jpeg"
    PNG = "image/png"
    WEBP = "image/webp"
    HEIC = "image/heic"


class RejectReason(StrEnum):
    """Why an upload was refused."""

    TOO_LARGE = "too_large"
    SIZE_MISMATCH = "size_mismatch"
    NOT_AN_IMAGE = "not_an_image"
    TOO_MANY_PIXELS = "too_many_pixels"
    UNREADABLE = "unreadable"


REASON_TEXT: dict[RejectReason, tuple[str, str]] = {
    RejectReason.TOO_LARGE: ("文件超过大小上限", "The file is larger than allowed"),
    RejectReason.SIZE_MISMATCH: (
        "上传的文件大小与申请上传时声明的不一致",
        "The uploaded file's size differs from the size declared for the upload",
    ),
    RejectReason.NOT_AN_IMAGE: (
        "文件不是 JPEG、PNG、WebP 或 HEIC 图片",
        "The file is not a JPEG, PNG, WebP or HEIC image",
    ),
    RejectReason.TOO_MANY_PIXELS: ("图片像素过多", "The image has too many pixels"),
    RejectReason.UNREADABLE: ("图片已损坏，无法读取", "The image is damaged and cannot be read"),
}


class Rejected(Exception):
    """An upload failed a check; `reason` says which."""

    def __init__(self, reason: RejectReason) -> None:
        super().__init__(reason.value)
        self.reason = reason


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Start-of-frame markers carry the dimensions; C4 (DHT), C8 (JPG) and CC (DAC) are not frames.
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Markers without a length field.
_JPEG_STANDALONE = frozenset({0x01, 0xD8, *range(0xD0, 0xD8)})
# ISO base media file brands of HEVC-coded HEIF images (AVIF, also HEIF, is not read here).
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"})
_HEIF_GENERAL_BRANDS = frozenset({b"mif1", b"msf1"})
# Boxes on the way from the top level to the image spatial extents: meta > iprp > ipco > ispe.
_HEIF_CONTAINERS = {b"meta": 4, b"iprp": 0, b"ipco": 0}  # bytes to skip (meta is a full box)
_HEIF_MAX_BOXES = 4096


def sniff(data: bytes) -> ImageType | None:
    """Return the image type the magic bytes announce, or None for anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return ImageType.JPEG
    if data.startswith(PNG_SIGNATURE):
        return ImageType.PNG
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ImageType.WEBP
    if _is_heic(data):
        return ImageType.HEIC
    return None


def header_size(data: bytes, kind: ImageType) -> tuple[int, int] | None:
    """Return (width, height) as the header declares them, or None if it cannot be read."""
    if kind is ImageType.PNG:
        size = _png_size(data)
    elif kind is ImageType.JPEG:
        size = _jpeg_size(data)
    elif kind is ImageType.WEBP:
        size = _webp_size(data)
    else:
        size = _heic_size(data)
    if size is None or size[0] <= 0 or size[1] <= 0:
        return None
    return size


def check(data: bytes, *, max_bytes: int, max_pixels: int) -> tuple[ImageType, int, int]:
    """Return (type, width, height) of an acceptable upload; raise Rejected otherwise."""
    if len(data) > max_bytes:
        raise Rejected(RejectReason.TOO_LARGE)
    kind = sniff(data)
    if kind is None:
        raise Rejected(RejectReason.NOT_AN_IMAGE)
    size = header_size(data, kind)
    if size is None:
        raise Rejected(RejectReason.UNREADABLE)
    width, height = size
    if width * height > max_pixels:
        raise Rejected(RejectReason.TOO_MANY_PIXELS)
    return kind, width, height


def _png_size(data: bytes) -> tuple[int, int] | None:
    # The first chunk must be IHDR (length 13): width and height, 4 bytes each, big-endian.
    if len(data) < 24 or data[8:16] != b"\x00\x00\x00\x0dIHDR":
        return None
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    # Walk the marker segments (APPn, including an EXIF thumbnail, are skipped whole) up to the
    # first start-of-frame: precision (1 byte), height (2), width (2).
    i, end = 2, len(data)
    while i + 1 < end:
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        i += 2
        if marker in _JPEG_STANDALONE:
            continue
        if marker in (0xD9, 0xDA):  # end of image, or scan data before any frame header
            return None
        if i + 2 > end:
            return None
        length = int.from_bytes(data[i : i + 2], "big")
        if length < 2:
            return None
        if marker in _JPEG_SOF:
            if i + 7 > end:
                return None
            height = int.from_bytes(data[i + 3 : i + 5], "big")
            width = int.from_bytes(data[i + 5 : i + 7], "big")
            return width, height
        i += length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    if len(data) < 30:
        return None
    chunk = data[12:16]
    if chunk == b"VP8 ":
        # Lossy: 3-byte frame tag, start code 9d 01 2a, then 14-bit width and height.
        if data[23:26] != b"\x9d\x01\x2a":
            return None
        width = int.from_bytes(data[26:28], "little") & 0x3FFF
        height = int.from_bytes(data[28:30], "little") & 0x3FFF
        return width, height
    if chunk == b"VP8L":
        # Lossless: signature 0x2f, then width-1 and height-1 in 14 bits each.
        if data[20] != 0x2F:
            return None
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        # Extended: flags (4 bytes), then canvas width-1 and height-1 in 24 bits each.
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    return None


def _is_heic(data: bytes) -> bool:
    # The first box is `ftyp`: size, type, major brand, minor version, compatible brands.
    if len(data) < 16 or data[4:8] != b"ftyp":
        return False
    size = int.from_bytes(data[0:4], "big")
    if size < 16 or size > min(len(data), 4096):
        return False
    major = data[8:12]
    if major in _HEIC_BRANDS:
        return True
    compatible = {data[i : i + 4] for i in range(16, size - 3, 4)}
    return major in _HEIF_GENERAL_BRANDS and bool(compatible & _HEIC_BRANDS)


def _heic_size(data: bytes) -> tuple[int, int] | None:
    """Return the largest image spatial extents (`ispe`) the file declares.

    A HEIC holds several images (the primary, often a grid of tiles, a thumbnail, auxiliary
    maps), each with its extents: the largest is what decoding may cost.
    """
    sizes: list[tuple[int, int]] = []
    boxes = 0
    stack = [(0, len(data))]
    while stack:
        start, end = stack.pop()
        i = start
        while i + 8 <= end:
            boxes += 1
            if boxes > _HEIF_MAX_BOXES:
                return None
            size, kind, header = int.from_bytes(data[i : i + 4], "big"), data[i + 4 : i + 8], 8
            if size == 1:  # a 64-bit size follows the type
                if i + 16 > end:
                    return None
                size, header = int.from_bytes(data[i + 8 : i + 16], "big"), 16
            elif size == 0:  # to the end of the enclosing box
                size = end - i
            if size < header or i + size > end:
                return None
            body = i + header
            if kind in _HEIF_CONTAINERS:
                stack.append((body + _HEIF_CONTAINERS[kind], i + size))
            elif kind == b"ispe":
                # A full box: version and flags (4 bytes), then width and height (4 each).
                if size < header + 12:
                    return None
                width = int.from_bytes(data[body + 4 : body + 8], "big")
                height = int.from_bytes(data[body + 8 : body + 12], "big")
                sizes.append((width, height))
            i += size
    if not sizes:
        return None
    return max(sizes, key=lambda size: size[0] * size[1])
