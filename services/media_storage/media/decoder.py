"""The decoder process: checks and cleans uploads sent by media storage, then ends itself
once it holds on to memory (`python -m services.media_storage.media.decoder`).

Requests come on stdin, answers go out on stdout, each a length-prefixed JSON header naming the
sizes of the raw parts that follow it. Why a process, and who starts it: `worker.py`. This
module imports neither asyncio nor anything of the service (Pillow only once it serves), so the
process starts at about 17 MB.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import resource
import struct
import sys
from typing import Any, BinaryIO

from services.media_storage.media.checks import Rejected
from services.media_storage.media.images import Limits

log = logging.getLogger(__name__)

# The process ends after answering if it then holds this much more than when it started (it
# would add to the next decode's peak) ...
RETAINED_BYTES = 16 * 1024 * 1024
# ... or if it ever held this much more: after a large decode, the next starts from a fresh one.
LARGE_DECODE_BYTES = 64 * 1024 * 1024
HEADER_LENGTH = struct.Struct(">I")
_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter


def return_freed_buffers() -> None:
    """Have glibc give freed buffers of 1 MB and more back to the system at once.

    By default glibc raises its mmap threshold to the size of the largest block freed (up to
    32 MB), after which uploads and images come from its heaps and stay there once freed: the
    service would keep tens of MB after a burst. A fixed threshold keeps them mmapped.
    """
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(_M_MMAP_THRESHOLD, 1 << 20)
    except (OSError, AttributeError):  # not glibc: nothing to tune
        log.info("mallopt not available; large buffers are freed as the allocator decides")


def encode_header(header: dict[str, Any], parts: list[bytes]) -> bytes:
    """Encode a message's header: its length, then JSON naming the sizes of the parts after it."""
    encoded = json.dumps({**header, "parts": [len(part) for part in parts]}).encode()
    return HEADER_LENGTH.pack(len(encoded)) + encoded


def serve(requests: BinaryIO, answers: BinaryIO) -> None:
    """Answer requests until the input closes or memory was kept (the decoder's main loop)."""
    from services.media_storage.media.decoding import clean  # Pillow: in the child only

    return_freed_buffers()
    _reset_peak()
    started_with = _resident_bytes()
    while (request := _read_request(requests)) is not None:
        header, data = request
        answer: dict[str, Any]
        parts: list[bytes] = []
        try:
            image = clean(data, Limits(**header["limits"]))
        except Rejected as rejected:
            answer = {"status": "rejected", "reason": rejected.reason.value}
        except Exception as exc:
            log.exception("decoding failed")
            answer = {"status": "failed", "error": type(exc).__name__}
        else:
            answer = {
                "status": "clean",
                "content_type": image.content_type.value,
                "width": image.width,
                "height": image.height,
            }
            parts = [image.data, image.thumbnail]
            del image
        del data
        kept = _resident_bytes() - started_with - sum(len(part) for part in parts)
        peaked = _peak_bytes() - started_with
        retire = kept > RETAINED_BYTES or peaked > LARGE_DECODE_BYTES
        answers.write(encode_header({**answer, "retire": retire}, parts))
        for part in parts:
            answers.write(part)
        answers.flush()
        if retire:
            return


def _read_request(requests: BinaryIO) -> tuple[dict[str, Any], bytes] | None:
    """Read one request (its header and data), or None once the service closed the pipe."""
    prefix = requests.read(HEADER_LENGTH.size)
    if len(prefix) < HEADER_LENGTH.size:
        return None
    (length,) = HEADER_LENGTH.unpack(prefix)
    header: dict[str, Any] = json.loads(requests.read(length))
    (size,) = header["parts"]
    data = requests.read(size)
    return (header, data) if len(data) == size else None


def _resident_bytes() -> int:
    """Return this process's resident memory now."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def _peak_bytes() -> int:
    """Return the most resident memory this process had since `_reset_peak` (VmHWM)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def _reset_peak() -> None:
    """Start counting the peak from the memory held now (Linux: 5 to clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:  # not allowed here: the peak then counts from the process's start
        log.info("the decoder's peak memory counts from its start")


def main() -> None:
    """Run as the decoder process: requests on stdin, answers on stdout, logs on stderr."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    # Anything a library prints goes to the log, never into the answers.
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(sys.stdin.buffer, answers)


if __name__ == "__main__":
    main()
