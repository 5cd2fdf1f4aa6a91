"""Uploads cleaned in real decoder processes: started on demand, given no secrets, ended after a
large decode, when idle, when they hang or die, and never taking the service with them."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from PIL import Image

from services.media_storage.media import worker
from services.media_storage.media.checks import Rejected, RejectReason
from services.media_storage.media.images import Limits
from services.media_storage.media.worker import ImageWorker
from tests.support.waiting import wait_until

LIMITS = Limits(max_bytes=10 * 1024 * 1024, max_pixels=40_000_000)


def encoded(size: tuple[int, int], fmt: str = "JPEG", mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "blue").save(out, fmt)
    return out.getvalue()


def reader(data: bytes) -> Callable[[], Awaitable[bytes]]:
    """Return what the service passes: a read of the upload, called when its turn comes."""

    async def read() -> bytes:
        return data

    return read


def decoders() -> list[int]:
    """Return the pids of this process's decoder children (other children, such as the service
    processes of a platform other tests started, are not decoders)."""
    found = []
    for task in os.listdir("/proc/self/task"):
        for pid in Path(f"/proc/self/task/{task}/children").read_text().split():
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue  # ended meanwhile
            if b"services.media_storage.media.decoder" in command:
                found.append(int(pid))
    return found


def resident_mb(pid: int) -> float:
    try:
        return (
            int(Path(f"/proc/{pid}/statm").read_text().split()[1])
            * os.sysconf("SC_PAGESIZE")
            / 2**20
        )
    except OSError:
        return 0.0


def environment_of(pid: int) -> bytes:
    return Path(f"/proc/{pid}/environ").read_bytes()


async def no_decoders() -> bool:
    return not decoders()


@pytest.fixture
async def images() -> AsyncIterator[ImageWorker]:
    image_worker = ImageWorker(LIMITS)
    yield image_worker
    await image_worker.close()


async def test_a_decoder_process_cleans_uploads_one_after_another_without_the_services_secrets(
    images: ImageWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("S3_SECRET_KEY", "the-service-secret")
    first = await images.clean(reader(encoded((640, 480))))
    assert first is not None
    assert (first.width, first.height) == (640, 480)
    (pid,) = decoders()
    environment = environment_of(pid)
    assert b"the-service-secret" not in environment
    assert b"S3_SECRET_KEY" not in environment

    second = await images.clean(reader(encoded((320, 200), "PNG")))
    assert second is not None
    assert second.content_type.value == "image/png"
    assert decoders() == [pid]  # a small decode keeps the process for the next one


async def test_nothing_to_read_decodes_nothing(images: ImageWorker) -> None:
    async def gone() -> None:
        return None

    assert await images.clean(gone) is None
    assert decoders() == []


async def test_after_a_large_decode_the_process_ends_and_an_idle_one_ends_too(
    images: ImageWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker, "IDLE_SECONDS", 0.5)
    large = await images.clean(reader(encoded((6000, 4000), "PNG", "RGBA")))  # 96 MB decoded
    assert large is not None
    assert (large.width, large.height) == (2048, 1365)
    await wait_until(no_decoders, timeout=10, what="the decoder to end after a large decode")

    assert await images.clean(reader(encoded((64, 64)))) is not None
    assert len(decoders()) == 1
    await wait_until(no_decoders, timeout=10, what="the idle decoder to end")


async def test_a_decoder_that_died_while_idle_is_replaced(images: ImageWorker) -> None:
    async def kill_the_idle_decoder_then_read() -> bytes:
        for pid in decoders():
            os.kill(pid, signal.SIGKILL)
        return encoded((640, 480))

    assert await images.clean(reader(encoded((64, 64)))) is not None
    cleaned = await images.clean(kill_the_idle_decoder_then_read)
    assert cleaned is not None
    assert (cleaned.width, cleaned.height) == (640, 480)


async def test_an_upload_its_decoders_die_on_is_refused_and_the_service_goes_on(
    images: ImageWorker,
) -> None:
    large = asyncio.create_task(images.clean(reader(encoded((6000, 4000), "PNG", "RGBA"))))
    killed = set()
    while not large.done():  # every decoder that starts on it dies (as on a crashing file)
        for pid in decoders():
            if resident_mb(pid) > 50:
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
        await asyncio.sleep(0.01)
    with pytest.raises(Rejected) as refused:
        await large
    assert refused.value.reason is RejectReason.UNREADABLE
    assert len(killed) == 2  # tried once more in a new process, then refused
    assert await images.clean(reader(encoded((64, 64)))) is not None


async def test_a_decode_that_takes_too_long_is_stopped_and_refused(
    images: ImageWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker, "DECODE_SECONDS", 0.05)
    with pytest.raises(Rejected) as refused:
        await images.clean(reader(encoded((6000, 4000), "PNG", "RGBA")))
    assert refused.value.reason is RejectReason.UNREADABLE
    await wait_until(no_decoders, timeout=10, what="the stopped decoder to end")


# A decoder subverted by a file it parsed: it answers a header claiming a 1 GB image.
LYING_DECODER = """
import json, struct, sys
length = struct.unpack(">I", sys.stdin.buffer.read(4))[0]
request = json.loads(sys.stdin.buffer.read(length))
sys.stdin.buffer.read(request["parts"][0])
header = json.dumps({"status": "clean", "parts": [1 << 30, 0]}).encode()
sys.stdout.buffer.write(struct.pack(">I", len(header)) + header)
sys.stdout.buffer.flush()
sys.stdin.buffer.read()
"""


async def test_an_answer_a_decoder_never_writes_ends_it_and_refuses_the_upload(
    images: ImageWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def start_lying_decoder() -> worker._Decoder:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            LYING_DECODER,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        return worker._Decoder(process)

    monkeypatch.setattr(worker._Decoder, "start", start_lying_decoder)
    with pytest.raises(Rejected) as refused:
        await images.clean(reader(encoded((64, 64))))
    assert refused.value.reason is RejectReason.UNREADABLE
    await wait_until(no_decoders, timeout=10, what="the lying decoders to be ended")
