"""Collecting the messages of a queue into batches for a handler that writes them together.

Messages are added as they arrive; one task hands them on in order, as soon as `max_batch` are
there or `max_wait_seconds` after the first of a batch, whichever comes first, and waits until
that batch is handled before it starts the next: in one process, a queue's batches never
overlap.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable

from aio_pika.abc import AbstractIncomingMessage

log = logging.getLogger(__name__)

BatchSink = Callable[[list[AbstractIncomingMessage]], Awaitable[None]]


class BatchCollector:
    """Group arriving messages into batches and hand each to a sink, one batch at a time."""

    def __init__(self, max_batch: int, max_wait_seconds: float) -> None:
        if max_batch < 1:
            raise ValueError("a batch holds at least one message")
        self.max_batch = max_batch
        self.max_wait_seconds = max_wait_seconds
        # A deque and two signals, not an asyncio.Queue read under a timeout: on Python 3.11 a
        # get cancelled by its timeout can lose the item it had just taken.
        self._arrived: deque[AbstractIncomingMessage] = deque()
        self._some = asyncio.Event()
        self._full = asyncio.Event()
        self._sink: BatchSink | None = None
        self._task: asyncio.Task[None] | None = None

    def bind(self, sink: BatchSink) -> None:
        """Say where batches go."""
        self._sink = sink

    def add(self, message: AbstractIncomingMessage) -> None:
        """Take a message that just arrived."""
        self._arrived.append(message)
        self._some.set()
        if len(self._arrived) >= self.max_batch:
            self._full.set()

    def start(self) -> None:
        """Start handing batches on (until the process stops)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop after the batch in hand; messages not yet handed on return to the broker
        unacked when the channel closes."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        assert self._sink is not None, "bind() first"
        while True:
            await self._some.wait()
            if len(self._arrived) < self.max_batch:
                self._full.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._full.wait(), self.max_wait_seconds)
            batch = [
                self._arrived.popleft() for _ in range(min(self.max_batch, len(self._arrived)))
            ]
            if not self._arrived:
                self._some.clear()
            try:
                await self._sink(batch)
            except Exception:  # the sink settles every message itself; this is a bug
                log.exception("batch sink failed")
