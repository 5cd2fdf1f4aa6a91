"""Photos as a phone takes and sends them: a JPEG with GPS in its EXIF, uploaded through a slot
from media storage straight to S3, then confirmed."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pillow_heif
from PIL import ExifTags, Image

from tests.support.client import ApiClient

MB = 1024 * 1024
GPS_TEXT = "23.476100N 111.279100E"


def jpeg_with_gps(size: tuple[int, int] = (1200, 600)) -> bytes:
    """A phone photo: EXIF with GPS, make/model, and orientation 6 (turn 90° clockwise)."""
    return _with_gps(size, "JPEG")


def heic_with_gps(size: tuple[int, int] = (1200, 600)) -> bytes:
    """An iPhone's photo: HEIC with the same EXIF (HEIF itself turns images by its irot box)."""
    pillow_heif.register_heif_opener()
    return _with_gps(size, "HEIF")


def _with_gps(size: tuple[int, int], fmt: str) -> bytes:
    image = Image.new("RGB", size, "red")
    image.paste("blue", (0, 0, size[0] // 2, size[1]))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.Base.ImageDescription] = GPS_TEXT
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (23.0, 28.0, 33.96),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (111.0, 16.0, 44.76),
    }
    out = io.BytesIO()
    image.save(out, fmt, exif=exif, quality=90)
    return out.getvalue()


async def upload(
    user: ApiClient,
    data: bytes,
    *,
    filename: str = "photo.jpg",
    content_type: str = "image/jpeg",
    declared_size: int | None = None,
    purpose: str = "finding",
    service: str = "media_storage",
) -> tuple[dict[str, Any], httpx.Response]:
    """Get a slot and POST the file to S3 as a phone does; return the slot and S3's answer."""
    slot = await user.post(
        service,
        "/v1/uploads",
        {
            "content_type": content_type,
            "size_bytes": declared_size or len(data),
            "purpose": purpose,
        },
    )
    assert slot.status_code == 201, slot.text
    body = slot.json()
    assert body["max_bytes"] == 10 * MB
    to_s3 = await user.http.post(
        body["url"], data=body["fields"], files={"file": (filename, data, content_type)}
    )
    return body, to_s3


async def confirm(user: ApiClient, media_id: str, service: str = "media_storage") -> httpx.Response:
    return await user.post(service, f"/v1/media/{media_id}/confirm")


async def stored_photo(user: ApiClient, purpose: str = "finding") -> str:
    """Upload and confirm a phone photo as `user`; return its media id once stored."""
    slot, to_s3 = await upload(user, jpeg_with_gps((480, 320)), purpose=purpose)
    assert to_s3.status_code == 204, to_s3.text
    confirmed = await confirm(user, slot["media_id"])
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "stored"
    return str(slot["media_id"])
