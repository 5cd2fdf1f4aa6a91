"""Media storage within bounded memory: eight of the worst uploads its limits let through,
confirmed at once, measured on the whole process tree of a media storage process of its own.

The measurement is the benchmark's (`bench.media_memory`), so the figure `make bench` prints is
the one held to its limits here.
"""

from __future__ import annotations

import httpx

from bench.media_memory import (
    PEAK_LIMIT_MB,
    RETURN_MARGIN_MB,
    RETURN_SECONDS,
    measure,
    own_media_storage,
    worst_images,
)
from tests.support.client import ApiClient
from tests.support.platform import Platform

MAX_EDGE = 2048  # MEDIA_STORAGE_MAX_EDGE_PX's default


async def test_eight_worst_uploads_at_once_stay_under_300_mb_and_the_memory_comes_back(
    platform: Platform, http: httpx.AsyncClient
) -> None:
    uploads = worst_images()
    assert len(uploads) == 8
    teacher = await ApiClient.login(platform, http, "demo-teacher")
    async with own_media_storage(platform, "media_storage_memory") as pid:
        run = await measure(teacher, "media_storage_memory", pid, uploads)

    print(
        f"media storage process tree: idle {run.idle_mb:.0f} MB, peak {run.peak_mb:.0f} MB "
        f"during 8 confirms ({run.burst_seconds:.1f} s), back within {RETURN_MARGIN_MB} MB of "
        f"idle after {run.returned_seconds} s, {run.settled_mb:.0f} MB once the decoder "
        f"processes ended after {run.settled_seconds} s"
    )
    for name, answer in run.answers.items():
        assert answer.status_code == 200, (name, answer.text)
        media = answer.json()
        assert media["status"] == "stored"
        assert max(media["width"], media["height"]) <= MAX_EDGE, name
    assert run.peak_mb < PEAK_LIMIT_MB
    assert run.returned_seconds is not None, f"not back near idle in {RETURN_SECONDS} s"
    assert run.settled_seconds is not None, f"decoders still running after {RETURN_SECONDS} s"
    assert run.settled_mb <= run.idle_mb + RETURN_MARGIN_MB
