"""The decoder process's side of the pipe: requests in, answers out, and when it ends itself.

`serve` runs here on in-memory streams, as the decoder process runs it on its stdin and stdout.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict
from typing import Any

import pytest
from PIL import Image

from services.media_storage.media import decoder
from services.media_storage.media.decoder import HEADER_LENGTH, encode_header, serve
from services.media_storage.media.images import Limits

MB = 1024 * 1024
LIMITS = Limits(max_bytes=10 * MB, max_pixels=40_000_000)


def request(data: bytes) -> bytes:
    return encode_header({"limits": asdict(LIMITS)}, [data]) + data


def jpeg(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "blue").save(out, "JPEG")
    return out.getvalue()


def answers(stream: bytes) -> list[tuple[dict[str, Any], list[bytes]]]:
    """Split what `serve` wrote into (header, parts) answers."""
    found, at = [], 0
    while at < len(stream):
        (length,) = HEADER_LENGTH.unpack_from(stream, at)
        at += HEADER_LENGTH.size
        header = json.loads(stream[at : at + length])
        at += length
        parts = []
        for size in header["parts"]:
            parts.append(stream[at : at + size])
            at += size
        found.append((header, parts))
    return found


def test_each_request_is_answered_clean_or_rejected_until_the_input_closes() -> None:
    out = io.BytesIO()
    serve(io.BytesIO(request(jpeg((640, 480))) + request(b"#!/bin/sh\n")), out)
    (clean, (image, thumbnail)), (rejected, parts) = answers(out.getvalue())
    assert clean["status"] == "clean"
    assert (clean["content_type"], clean["width"], clean["height"]) == ("image/jpeg", 640, 480)
    assert Image.open(io.BytesIO(image)).size == (640, 480)
    assert Image.open(io.BytesIO(thumbnail)).size == (320, 240)
    assert not clean["retire"]
    assert rejected == {
        "status": "rejected",
        "reason": "not_an_image",
        "retire": False,
        "parts": [],
    }
    assert parts == []


def test_a_cut_off_request_ends_the_decoder_without_an_answer() -> None:
    whole = request(jpeg((64, 64)))
    out = io.BytesIO()
    serve(io.BytesIO(whole[: len(whole) // 2]), out)
    assert out.getvalue() == b""


def test_after_a_large_decode_the_decoder_says_it_ends_and_reads_no_further(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The decode's peak as Linux would count it in a fresh process: 100 MB above the start.
    monkeypatch.setattr(decoder, "_peak_bytes", lambda: decoder._resident_bytes() + 100 * MB)
    out = io.BytesIO()
    serve(io.BytesIO(request(jpeg((64, 64))) + request(jpeg((64, 64)))), out)
    ((header, _),) = answers(out.getvalue())
    assert header["status"] == "clean"
    assert header["retire"] is True


def test_a_decoder_that_kept_memory_says_it_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    resident = iter([50 * MB, 50 * MB + decoder.RETAINED_BYTES + 1 * MB])
    monkeypatch.setattr(decoder, "_resident_bytes", lambda: next(resident))
    monkeypatch.setattr(decoder, "_peak_bytes", lambda: 60 * MB)
    out = io.BytesIO()
    serve(io.BytesIO(request(b"not an image") + request(b"not an image")), out)
    ((header, _),) = answers(out.getvalue())
    assert (header["status"], header["retire"]) == ("rejected", True)
