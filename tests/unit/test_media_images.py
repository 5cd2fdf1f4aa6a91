"""Cleaning an upload: upright, re-encoded from its pixels, nothing of its metadata left."""

from __future__ import annotations

import io

import pillow_heif
import pytest
from PIL import ExifTags, Image

from services.media_storage.media.checks import ImageType, Rejected, RejectReason
from services.media_storage.media.decoding import clean
from services.media_storage.media.images import CleanImage, Limits
from tests.support.heif_boxes import with_exif_orientation, with_irot

pillow_heif.register_heif_opener()  # to write HEIC test files

LIMITS = Limits(max_bytes=10 * 1024 * 1024, max_pixels=40_000_000, thumbnail_px=320)
SECRET = b"23 deg 28' 34.0\" N, 111 deg 16' 45.0\" E"


def phone_exif(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.Base.ImageDescription] = SECRET.decode()
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (23.0, 28.0, 34.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (111.0, 16.0, 45.0),
    }
    return exif


def photo(fmt: str, mode: str = "RGB", size: tuple[int, int] = (800, 400)) -> bytes:
    image = Image.new("RGB", size, "red")
    # The left half is blue, so the orientation can be seen in the pixels.
    image.paste("blue", (0, 0, size[0] // 2, size[1]))
    image = image.convert(mode, palette=Image.Palette.ADAPTIVE) if mode == "P" else image
    image = image.convert(mode)
    out = io.BytesIO()
    extra: dict[str, object] = {"exif": phone_exif(6)}
    if fmt == "JPEG":
        extra |= {"comment": SECRET, "xmp": b"<x:xmpmeta>" + SECRET + b"</x:xmpmeta>"}
    image.save(out, fmt, **extra)
    return out.getvalue()


def without_metadata(result: CleanImage) -> Image.Image:
    """Open the served image, having checked that nothing of the phone's metadata is in it."""
    served = Image.open(io.BytesIO(result.data))
    assert dict(served.getexif()) == {}
    assert not {"exif", "xmp", "comment", "icc_profile"} & set(served.info)
    assert SECRET not in result.data
    assert b"PhoneCo" not in result.data
    return served


@pytest.mark.parametrize(
    ("fmt", "mode", "kind"),
    [
        ("JPEG", "RGB", ImageType.JPEG),
        ("PNG", "RGB", ImageType.PNG),
        ("PNG", "RGBA", ImageType.PNG),
        ("PNG", "P", ImageType.PNG),
        ("WEBP", "RGB", ImageType.WEBP),
    ],
)
def test_metadata_is_gone_and_the_photo_is_upright(fmt: str, mode: str, kind: ImageType) -> None:
    result = clean(photo(fmt, mode), LIMITS)
    assert result.content_type is kind
    served = without_metadata(result)
    # Orientation 6 (rotate 90° clockwise): 800×400 becomes 400×800, blue half on top.
    assert (result.width, result.height) == served.size == (400, 800)
    rgb = served.convert("RGB")
    assert rgb.getpixel((200, 100)) == pytest.approx((0, 0, 255), abs=8)
    assert rgb.getpixel((200, 700)) == pytest.approx((255, 0, 0), abs=8)
    thumbnail = Image.open(io.BytesIO(result.thumbnail))
    assert thumbnail.format == "JPEG"
    assert thumbnail.size == (160, 320)
    assert dict(thumbnail.getexif()) == {}


def test_a_heic_from_an_iphone_is_served_as_jpeg_without_its_metadata() -> None:
    data = photo("HEIF")
    assert SECRET in data
    assert b"PhoneCo" in data
    result = clean(data, LIMITS)
    assert result.content_type is ImageType.JPEG
    served = without_metadata(result)
    assert served.format == "JPEG"
    # HEIF turns its images by its own box (irot), not by EXIF: the pixels stay as stored.
    assert (result.width, result.height) == served.size == (800, 400)
    rgb = served.convert("RGB")
    assert rgb.getpixel((100, 200)) == pytest.approx((0, 0, 255), abs=12)
    assert rgb.getpixel((700, 200)) == pytest.approx((255, 0, 0), abs=12)
    assert Image.open(io.BytesIO(result.thumbnail)).size == (320, 160)


def test_a_heic_turned_by_its_irot_box_comes_out_upright_and_turned_once() -> None:
    # An iPhone held upright: landscape pixels, an irot box turning them 90° clockwise, and the
    # same turn repeated in EXIF, which HEIF readers must ignore or the photo turns twice.
    stored = Image.new("RGB", (800, 400), "red")
    stored.paste("blue", (0, 0, 400, 400))
    out = io.BytesIO()
    stored.save(out, "HEIF", exif=phone_exif(1), quality=90)
    data = with_exif_orientation(with_irot(out.getvalue(), 3), 6)
    assert Image.open(io.BytesIO(data)).size == (400, 800)  # the file is turned as iPhones do
    result = clean(data, LIMITS)
    served = without_metadata(result)
    assert (result.width, result.height) == served.size == (400, 800)
    rgb = served.convert("RGB")
    assert rgb.getpixel((200, 100)) == pytest.approx((0, 0, 255), abs=12)  # blue on top
    assert rgb.getpixel((200, 700)) == pytest.approx((255, 0, 0), abs=12)
    assert Image.open(io.BytesIO(result.thumbnail)).size == (160, 320)


def test_a_truncated_photo_is_unreadable() -> None:
    data = photo("JPEG")
    with pytest.raises(Rejected) as refused:
        clean(data[: len(data) // 2], LIMITS)
    assert refused.value.reason is RejectReason.UNREADABLE


def test_a_header_that_lies_about_its_size_is_unreadable() -> None:
    data = bytearray(photo("PNG"))
    data[16:24] = (801).to_bytes(4, "big") + (400).to_bytes(4, "big")  # IHDR width, height
    with pytest.raises(Rejected) as refused:
        clean(bytes(data), LIMITS)
    assert refused.value.reason is RejectReason.UNREADABLE


# ---------------------------------------------------------------------------- larger than served


def big(fmt: str, size: tuple[int, int], mode: str = "RGB", **options: object) -> bytes:
    """A photo larger than the served edge: the left half blue, the right red; EXIF says turn 6."""
    image = Image.new("RGB", size, "red")
    image.paste("blue", (0, 0, size[0] // 2, size[1]))
    if mode == "RGBA":
        image.putalpha(128)
    elif mode == "P":  # blue, red, and a transparent white strip along the bottom
        image = Image.new("P", size, 1)
        image.putpalette([0, 0, 255, 255, 0, 0, 255, 255, 255])
        image.paste(0, (0, 0, size[0] // 2, size[1]))
        image.paste(2, (0, size[1] - 10, size[0], size[1]))
        image.info["transparency"] = 2
    else:
        image = image.convert(mode)
    out = io.BytesIO()
    image.save(out, fmt, exif=phone_exif(6), **options)
    return out.getvalue()


@pytest.mark.parametrize(
    ("fmt", "mode", "options", "kind", "served_mode"),
    [
        ("JPEG", "RGB", {}, ImageType.JPEG, "RGB"),
        ("JPEG", "RGB", {"progressive": True}, ImageType.JPEG, "RGB"),
        ("JPEG", "L", {}, ImageType.JPEG, "L"),
        ("JPEG", "CMYK", {}, ImageType.JPEG, "RGB"),
        ("PNG", "RGB", {}, ImageType.PNG, "RGB"),
        ("PNG", "RGBA", {}, ImageType.PNG, "RGBA"),
        ("PNG", "P", {}, ImageType.PNG, "RGBA"),
        ("PNG", "I;16", {}, ImageType.PNG, "RGB"),
        ("WEBP", "RGB", {}, ImageType.WEBP, "RGB"),
        ("WEBP", "RGBA", {"lossless": True}, ImageType.WEBP, "RGBA"),
    ],
)
def test_a_large_photo_is_served_at_the_maximum_edge_upright_and_without_metadata(
    fmt: str, mode: str, options: dict[str, object], kind: ImageType, served_mode: str
) -> None:
    result = clean(big(fmt, (4100, 1700), mode, **options), LIMITS)
    assert result.content_type is kind
    served = without_metadata(result)
    # Turned by orientation 6 (4100×1700 becomes 1700×4100), then scaled to 2048 on its long side.
    assert (result.width, result.height) == served.size == (849, 2048)
    assert served.mode == served_mode
    if mode in ("RGB", "RGBA", "P", "CMYK"):
        rgb = served.convert("RGB")
        assert rgb.getpixel((424, 200))[2] > 200  # blue on top: upright
        assert rgb.getpixel((424, 1800))[0] > 200
    if served_mode == "RGBA":
        assert served.getchannel("A").getextrema() != (255, 255)
    assert Image.open(io.BytesIO(result.thumbnail)).size == (133, 320)


def test_the_maximum_edge_is_a_limit_given_to_clean() -> None:
    small_edge = Limits(max_bytes=LIMITS.max_bytes, max_pixels=LIMITS.max_pixels, max_edge=500)
    result = clean(photo("PNG"), small_edge)
    assert (result.width, result.height) == (250, 500)  # 800×400 turned, then scaled
    untouched = clean(photo("PNG"), LIMITS)
    assert (untouched.width, untouched.height) == (400, 800)


def test_a_large_heic_is_served_as_jpeg_at_the_maximum_edge() -> None:
    result = clean(big("HEIF", (4096, 2048), enc_params={"preset": "ultrafast"}), LIMITS)
    assert result.content_type is ImageType.JPEG
    served = without_metadata(result)
    # HEIF turns by its own boxes only: the EXIF orientation written here is not applied.
    assert (result.width, result.height) == served.size == (2048, 1024)
    rgb = served.convert("RGB")
    assert rgb.getpixel((200, 512)) == pytest.approx((0, 0, 255), abs=16)
    assert rgb.getpixel((1800, 512)) == pytest.approx((255, 0, 0), abs=16)


def test_an_animated_webp_is_not_a_photo() -> None:
    frames = [Image.new("RGB", (64, 64), colour) for colour in ("red", "blue")]
    out = io.BytesIO()
    frames[0].save(out, "WEBP", save_all=True, append_images=frames[1:], duration=100)
    with pytest.raises(Rejected) as refused:
        clean(out.getvalue(), LIMITS)
    assert refused.value.reason is RejectReason.UNREADABLE
