"""Decoding uploads in processes of their own, ended when they hold on to memory.

Why a process of our own (`decoder.py`), and not threads or a `ProcessPoolExecutor`:

- Memory freed after a large decode is not given back to the system inside one process: glibc
  keeps freed blocks for reuse (and raises its mmap threshold after the first large free), so a
  service that decoded a 40 MP image once kept ~300 MB for good. Only the end of a process
  returns everything, so the decoding runs in a child that ends itself after a large decode or
  once it keeps memory (`decoder.RETAINED_BYTES`), and is ended after `IDLE_SECONDS` idle.
- A multiprocessing child (pool, spawn or forkserver) imports the parent's `__main__`, here the
  whole service (FastAPI, PyMongo, aio-pika: ~90 MB a child). `python -m ...decoder` imports
  Pillow and the image modules only (~17 MB), and is given no secrets: its environment holds no
  S3, database or broker settings.
- The child parses hostile files with C libraries (libjpeg, libpng, libwebp, libheif). A crash
  or a hang there ends the child (`DECODE_SECONDS`), never the service, and the upload is
  refused as unreadable. Answers come back as JSON and raw bytes, not pickles, so a subverted
  decoder cannot run code in the service through its answer.

At most `concurrency` uploads are decoded at once per service process (one child each), and an
upload's bytes are only read from S3 once its turn has come, so a burst of confirms holds at
most that many uploads in memory. One decode at a time (the default) bounds the service's
memory to its own plus one child: ~200 MB above idle for the worst 40 MP images.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from services.media_storage.media import decoder
from services.media_storage.media.checks import ImageType, Rejected, RejectReason
from services.media_storage.media.images import CleanImage, Limits

log = logging.getLogger(__name__)

# A child that waited this long for work is ended (the next upload starts another, ~0.2 s).
IDLE_SECONDS = 20.0
# A decode that takes longer is stopped; the largest images take about 2 s.
DECODE_SECONDS = 60.0
# Environment passed to the child: what Python needs to start, nothing of the service's.
_ENV_KEPT = (
    "PATH",
    "PYTHONPATH",
    "PYTHONDONTWRITEBYTECODE",
    "PYTHONUNBUFFERED",
    "LANG",
    "LC_ALL",
    "TMPDIR",
)
_ROOT = Path(__file__).resolve().parents[3]
_CHUNK = 1 << 20
_MAX_HEADER = 64 * 1024


class ImageWorker:
    """Check and clean uploads in decoder processes, at most `concurrency` at a time."""

    def __init__(self, limits: Limits, *, concurrency: int = 1) -> None:
        self.limits = limits
        self._slots = asyncio.Semaphore(concurrency)
        self._idle: list[_Decoder] = []
        self._retiring: set[asyncio.Task[None]] = set()

    async def clean(self, read: Callable[[], Awaitable[bytes | None]]) -> CleanImage | None:
        """Read an upload when its turn comes, then check and clean it in a decoder process.

        Returns None if `read` found nothing; raises Rejected (also from `read`). A decoder that
        dies on the upload is given one more try in a new process (it may have died of something
        else), then the upload is refused as unreadable.
        """
        async with self._slots:
            try:
                return await self._clean_once(read)
            except _DecoderDied as died:
                log.warning("decoder process died; the upload is tried once more", exc_info=died)
            try:
                return await self._clean_once(read)
            except _DecoderDied as died:
                log.error("decoder process died twice on an upload; refused", exc_info=died)
                raise Rejected(RejectReason.UNREADABLE) from died

    async def _clean_once(self, read: Callable[[], Awaitable[bytes | None]]) -> CleanImage | None:
        data = await read()
        if data is None:
            return None
        decoder = await self._decoder()
        try:
            async with asyncio.timeout(DECODE_SECONDS):
                await decoder.send({"limits": asdict(self.limits)}, data)
                del data  # the child has it; the service does not keep a copy
                header, parts = await decoder.receive(_largest_answer(self.limits))
        except TimeoutError as exc:
            self._retire(decoder, kill=True)
            log.error("decode stopped after %s s; upload refused", DECODE_SECONDS)
            raise Rejected(RejectReason.UNREADABLE) from exc
        except (asyncio.IncompleteReadError, ConnectionError, ValueError) as exc:
            # Ended, or answered what it never writes (ValueError): its state is unknown.
            self._retire(decoder, kill=True)
            raise _DecoderDied from exc
        except BaseException:  # cancelled mid-exchange: the pipe's state is unknown
            self._retire(decoder, kill=True)
            raise
        try:
            outcome = _outcome(header, parts)
        except (KeyError, TypeError, ValueError) as exc:
            self._retire(decoder, kill=True)
            raise _DecoderDied from exc
        except RuntimeError:
            self._retire(decoder)
            raise
        if header.get("retire"):
            self._retire(decoder)
        else:
            self._idle.append(decoder)
            decoder.start_idle_timer(IDLE_SECONDS, lambda: self._expire(decoder))
        if isinstance(outcome, Rejected):
            raise outcome
        return outcome

    async def close(self) -> None:
        """End every decoder process (at shutdown)."""
        while self._idle:
            self._retire(self._idle.pop())
        await asyncio.gather(*self._retiring, return_exceptions=True)

    async def _decoder(self) -> _Decoder:
        """Return an idle decoder process that is still running, or start one."""
        while self._idle:
            decoder = self._idle.pop()
            decoder.cancel_idle_timer()
            if decoder.process.returncode is None:
                return decoder
            self._retire(decoder)
        return await _Decoder.start()

    def _expire(self, decoder: _Decoder) -> None:
        if decoder in self._idle:
            self._idle.remove(decoder)
            self._retire(decoder)

    def _retire(self, decoder: _Decoder, *, kill: bool = False) -> None:
        task = asyncio.get_running_loop().create_task(decoder.stop(kill=kill))
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)


def _largest_answer(limits: Limits) -> int:
    """Return the most bytes a clean image can take: an incompressible RGBA at the max edge."""
    return limits.max_edge**2 * 5 + (1 << 20)


class _DecoderDied(Exception):
    """A decoder process ended (or closed its pipes) before answering."""


def _outcome(header: dict[str, Any], parts: list[bytes]) -> CleanImage | Rejected:
    """Return the clean image the decoder answered, or the rejection it found.

    Raises RuntimeError if decoding failed there (a fault of ours, logged by the decoder), and
    KeyError, TypeError or ValueError for an answer it never writes.
    """
    if header["status"] == "rejected":
        return Rejected(RejectReason(header["reason"]))
    if header["status"] != "clean":
        raise RuntimeError(f"decoder process failed: {header.get('error')}")
    data, thumbnail = parts
    return CleanImage(
        data=data,
        content_type=ImageType(header["content_type"]),
        width=int(header["width"]),
        height=int(header["height"]),
        thumbnail=thumbnail,
    )


class _Decoder:
    """One decoder process and its pipes."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self._idle_timer: asyncio.TimerHandle | None = None

    @classmethod
    async def start(cls) -> _Decoder:
        env = {name: os.environ[name] for name in _ENV_KEPT if name in os.environ}
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            decoder.__name__,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=_ROOT,
            env=env,
        )
        return cls(process)

    async def send(self, header: dict[str, Any], data: bytes) -> None:
        """Write one request, the data in slices so that no second copy of it is buffered."""
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(decoder.encode_header(header, [data]))
        view = memoryview(data)
        for start in range(0, len(view), _CHUNK):
            stdin.write(view[start : start + _CHUNK])
            await stdin.drain()
        await stdin.drain()

    async def receive(self, largest: int) -> tuple[dict[str, Any], list[bytes]]:
        """Read one answer: its header and its parts, each at most `largest` bytes.

        Raises ValueError for anything the decoder never writes, so that a subverted one cannot
        make the service allocate what it likes.
        """
        stdout = self.process.stdout
        assert stdout is not None
        (length,) = decoder.HEADER_LENGTH.unpack(
            await stdout.readexactly(decoder.HEADER_LENGTH.size)
        )
        if length > _MAX_HEADER:
            raise ValueError("decoder answer header too long")
        header = json.loads(await stdout.readexactly(length))
        sizes = header.get("parts") if isinstance(header, dict) else None
        if not isinstance(sizes, list) or not all(
            isinstance(size, int) and 0 <= size <= largest for size in sizes
        ):
            raise ValueError("decoder answer parts out of bounds")
        return header, [await stdout.readexactly(size) for size in sizes]

    def start_idle_timer(self, seconds: float, expire: Callable[[], None]) -> None:
        self._idle_timer = asyncio.get_running_loop().call_later(seconds, expire)

    def cancel_idle_timer(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None

    async def stop(self, *, kill: bool = False) -> None:
        """End the process: at once, or by closing its input so it finishes on its own."""
        self.cancel_idle_timer()
        if kill and self.process.returncode is None:
            self.process.kill()
        elif self.process.stdin is not None:
            self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), timeout=5)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
