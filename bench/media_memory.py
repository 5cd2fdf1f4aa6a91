"""Media storage's memory while it checks the worst uploads its limits let through.

    make bench   (or: python -m bench.media_memory with the test servers' environment)

Eight uploads at the limits (40 MP PNG, JPEG, WebP and HEIC files that are small on the wire,
and a 10 MB one) are confirmed at once against a media storage process of their own. The
resident memory of the service's whole process tree (the service and its decoder processes) is
read from /proc every 10 ms, from before the burst until its decoder processes have ended (at
most a minute). A progressive JPEG of 40 MP is measured the same way, on its own row: libjpeg keeps the
whole image's DCT coefficients while it decodes one (6 bytes a pixel), whatever the output size.
tests/e2e/test_media_memory.py runs the same measurement (`measure`) and holds the first figure
to its limits.
"""

from __future__ import annotations

import asyncio
import io
import os
import random
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pillow_heif
from PIL import Image

import tests.conftest  # noqa: F401  (reads the servers' environment file)
from tests.support.client import ApiClient
from tests.support.photos import MB, confirm, upload
from tests.support.platform import Platform, ServiceProcess, free_port
from tests.support.servers import InfraEnv, RabbitAdmin, unique_name

PEAK_LIMIT_MB = 300
RETURN_MARGIN_MB = 50
RETURN_SECONDS = 60
SAMPLE_SECONDS = 0.01
MAX_BYTES = 10 * MB


@dataclass(frozen=True)
class Upload:
    """One file as a phone would send it."""

    name: str
    data: bytes
    content_type: str


@dataclass
class MemoryRun:
    """What one burst of confirms cost the service's process tree."""

    idle_mb: float  # the tree before the burst
    peak_mb: float  # the most the tree held at any sample
    burst_seconds: float  # from the first confirm to the last answer
    returned_seconds: float | None  # from the last answer to within the margin of idle
    settled_mb: float  # the tree once its decoder processes ended (or when time was up)
    settled_seconds: float | None  # from the last answer until they had ended
    answers: dict[str, httpx.Response] = field(default_factory=dict)


# ---------------------------------------------------------------------------- the images


def worst_images() -> list[Upload]:
    """Return eight uploads at the limits: each 40 MP (small on the wire), or 10 MB."""
    pillow_heif.register_heif_opener()
    rgba = _pattern((8000, 5000), "RGBA")
    rgb = rgba.convert("RGB")
    uploads = [
        Upload("PNG RGBA 8000×5000", _saved(rgba, "PNG", compress_level=1), "image/png"),
        Upload("PNG palette 8000×5000", _saved(_palette(rgba), "PNG"), "image/png"),
        Upload("JPEG 65000×615", _saved(_pattern((65000, 615), "RGB"), "JPEG"), "image/jpeg"),
        Upload("JPEG CMYK 8000×5000", _saved(rgb.convert("CMYK"), "JPEG"), "image/jpeg"),
        Upload(
            "WebP lossless RGBA 8000×5000",
            _saved(rgba, "WEBP", lossless=True, quality=0, method=0),
            "image/webp",
        ),
        Upload("WebP 16383×2441", _saved(_pattern((16383, 2441), "RGB"), "WEBP"), "image/webp"),
        Upload(
            "HEIC 8000×5000 (512 px tiles)",
            _saved(rgb, "HEIF", quality=30, tile_size=512, enc_params={"preset": "ultrafast"}),
            "image/heic",
        ),
        Upload("PNG of noise, 10 MB", _noise_png(), "image/png"),
    ]
    for item in uploads:
        assert len(item.data) <= MAX_BYTES, item.name
    return uploads


def progressive_jpegs(count: int = 8) -> list[Upload]:
    """Return `count` progressive 4:4:4 JPEGs of 40 MP (libjpeg holds 240 MB of coefficients)."""
    image = _pattern((8000, 5000), "RGB")
    data = _saved(image, "JPEG", progressive=True, subsampling=0, quality=75)
    return [
        Upload(f"JPEG progressive 4:4:4 8000×5000 #{n}", data, "image/jpeg") for n in range(count)
    ]


def _pattern(size: tuple[int, int], mode: str) -> Image.Image:
    """Return a picture with some structure that compresses well (a few hundred KB at 40 MP)."""
    small = Image.linear_gradient("L").resize((max(1, size[0] // 16), max(1, size[1] // 16)))
    picture = Image.merge(
        "RGB",
        [
            small,
            small.transpose(Image.Transpose.ROTATE_180),
            small.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
        ],
    ).resize(size, Image.Resampling.NEAREST)
    if mode == "RGBA":
        picture.putalpha(200)
    return picture


def _palette(image: Image.Image) -> Image.Image:
    """Return `image` with a 256-colour palette and one transparent entry."""
    indexed = image.convert("RGB").quantize(256, method=Image.Quantize.FASTOCTREE)
    indexed.info["transparency"] = 0
    return indexed


def _noise_png() -> bytes:
    """Return a PNG just under the byte limit: random RGBA pixels do not compress."""
    rng = random.Random(13)
    side = 1600  # 1600² × 4 bytes + row filters ≈ 10.24 MB
    noise = Image.frombytes("RGBA", (side, side), rng.randbytes(side * side * 4))
    return _saved(noise, "PNG", compress_level=0)


def _saved(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


# ---------------------------------------------------------------------------- the tree


class ProcessTree:
    """A process and its descendants, read from /proc."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def members(self) -> list[int]:
        """Return the pid of the process and of every live descendant."""
        found, queue = [], [self.pid]
        while queue:
            pid = queue.pop()
            found.append(pid)
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    children = Path(f"/proc/{pid}/task/{task}/children").read_text()
                    queue.extend(int(child) for child in children.split())
            except OSError:  # ended while being read
                continue
        return found

    def resident_mb(self) -> float:
        """Return the resident memory of the whole tree now, in MB."""
        return sum(_status_kb(pid, "VmRSS") for pid in self.members()) / 1024


def _status_kb(pid: int, field_name: str) -> int:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return 0
    for line in lines:
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    return 0


# ---------------------------------------------------------------------------- the measurement


async def measure(user: ApiClient, service: str, pid: int, uploads: list[Upload]) -> MemoryRun:
    """Upload every file, then confirm them all at once on `service` (process `pid`) and follow
    the memory of its process tree until it is back near idle (or RETURN_SECONDS passed)."""
    assert len({item.name for item in uploads}) == len(uploads), "each upload needs its own name"
    tree = ProcessTree(pid)
    media_ids = {}
    for item in uploads:
        slot, to_s3 = await upload(
            user, item.data, filename=item.name, content_type=item.content_type, service=service
        )
        assert to_s3.status_code == 204, to_s3.text
        media_ids[item.name] = slot["media_id"]
    idle_samples = []
    for _ in range(20):
        idle_samples.append(tree.resident_mb())
        await asyncio.sleep(0.05)
    idle = statistics.median(idle_samples)
    samples = [idle]

    async def sample() -> None:
        while True:
            samples.append(tree.resident_mb())
            await asyncio.sleep(SAMPLE_SECONDS)

    sampler = asyncio.create_task(sample())
    started = time.monotonic()
    answers = await asyncio.gather(
        *(confirm(user, media_id, service) for media_id in media_ids.values())
    )
    answered = time.monotonic()
    returned_seconds = settled_seconds = None
    while (waited := time.monotonic() - answered) < RETURN_SECONDS:
        if returned_seconds is None and samples[-1] <= idle + RETURN_MARGIN_MB:
            returned_seconds = waited
        if tree.members() == [pid]:  # the decoder processes have ended
            settled_seconds = waited
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(2 * SAMPLE_SECONDS)
    sampler.cancel()
    return MemoryRun(
        idle_mb=idle,
        peak_mb=max(samples),
        burst_seconds=answered - started,
        returned_seconds=returned_seconds,
        settled_mb=samples[-1],
        settled_seconds=settled_seconds,
        answers=dict(zip(media_ids, answers, strict=True)),
    )


@asynccontextmanager
async def own_media_storage(platform: Platform, name: str) -> AsyncIterator[int]:
    """Run a media storage process of its own (service `name`) on the platform's database,
    bucket and broker; yield its pid."""
    main = platform.services["media_storage"]
    port = free_port()
    env = {**main.env, "MEDIA_STORAGE_PORT": str(port)}
    process = ServiceProcess("media_storage", port, env, platform.workdir / f"{name}.log")
    process.start()
    try:
        await process.wait_ready()
        assert process.process is not None
        platform.services[name] = process
        yield process.process.pid
    finally:
        platform.services.pop(name, None)
        process.stop()


# ---------------------------------------------------------------------------- the table


def row(name: str, run: MemoryRun) -> str:
    """Format one line of the benchmark table."""
    ok = run.peak_mb < PEAK_LIMIT_MB and run.returned_seconds is not None
    stored = sum(answer.status_code == 200 for answer in run.answers.values())
    back = (
        f"back within {RETURN_MARGIN_MB} MB of it after {run.returned_seconds:.0f} s"
        if run.returned_seconds is not None
        else f"not back within {RETURN_MARGIN_MB} MB of it in {RETURN_SECONDS} s"
    )
    settled = (
        f"{run.settled_mb:.0f} MB once the decoders ended ({run.settled_seconds:.0f} s)"
        if run.settled_seconds is not None
        else f"{run.settled_mb:.0f} MB after {RETURN_SECONDS} s"
    )
    return (
        f"{name:<46} peak {run.peak_mb:4.0f} MB  limit < {PEAK_LIMIT_MB} MB, back within "
        f"{RETURN_MARGIN_MB} MB of idle in {RETURN_SECONDS} s  {'ok' if ok else 'OVER'}\n"
        f"{'':<46} idle {run.idle_mb:.0f} MB, {back}; {settled}; "
        f"{stored}/{len(run.answers)} stored in {run.burst_seconds:.1f} s"
    )


async def run() -> list[str]:
    infra = InfraEnv.from_environment()
    admin = RabbitAdmin(infra.management_url)
    vhost = unique_name("bench")
    await admin.create_vhost(vhost)
    platform = Platform.create(infra, vhost, Path(tempfile.mkdtemp(prefix="xiaoan-bench-")))
    lines = []
    try:
        await platform.start()
        async with httpx.AsyncClient(timeout=120) as http:
            teacher = await ApiClient.login(platform, http, "demo-teacher")
            for name, uploads in (
                ("media storage tree, 8 worst uploads at once", worst_images()),
                ("media storage tree, 8 progressive 40 MP JPEGs", progressive_jpegs()),
            ):
                async with own_media_storage(platform, "media_storage_memory") as pid:
                    result = await measure(teacher, "media_storage_memory", pid, uploads)
                lines.append(row(name, result))
    finally:
        platform.stop()
        await admin.delete_vhost(vhost)
        await admin.close()
    return lines


if __name__ == "__main__":
    print("\n".join(asyncio.run(run())))
