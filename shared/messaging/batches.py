"""Collecting the messages of a queue into batches for a handler that writes them together, fairly
across the keys they are about.

Messages are added as they arrive, each under a key (a place, say). One task hands them on as
soon as `max_batch` are waiting or `max_wait_seconds` after the first of a batch, whichever
comes first, and waits until that batch is handled before it starts the next: in one process,
a queue's batches never overlap, and the messages of one key go on in the order they came.

A batch takes the waiting keys in turn, one message of each per round, so a key with thousands
of messages waiting (a flood of reports about one hazard) delays the others by one share of a
batch, not by its whole backlog. How many messages wait at most is the channel's prefetch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Item = TypeVar("Item")


class BatchCollector(Generic[Item]):
    """Group arriving items into fair batches and hand each to a sink, one batch at a time."""

    def __init__(self, max_batch: int, max_wait_seconds: float) -> None:
        if max_batch < 1:
            raise ValueError("a batch holds at least one message")
        self.max_batch = max_batch
        self.max_wait_seconds = max_wait_seconds
        # Deques and two signals, not an asyncio.Queue read under a timeout: on Python 3.11 a
        # get cancelled by its timeout can lose the item it had just taken.
        self._waiting: OrderedDict[str, deque[Item]] = OrderedDict()
        self._count = 0
        self._some = asyncio.Event()
        self._full = asyncio.Event()
        self._sink: Callable[[list[Item]], Awaitable[None]] | None = None
        self._task: asyncio.Task[None] | None = None

    def bind(self, sink: Callable[[list[Item]], Awaitable[None]]) -> None:
        """Say where batches go."""
        self._sink = sink

    def add(self, item: Item, key: str = "") -> None:
        """Take an item that just arrived, about `key`."""
        self._waiting.setdefault(key, deque()).append(item)
        self._count += 1
        self._some.set()
        if self._count >= self.max_batch:
            self._full.set()

    def take(self) -> list[Item]:
        """Return the next batch: the waiting keys in turn, one item of each per round."""
        batch: list[Item] = []
        while self._waiting and len(batch) < self.max_batch:
            for key in list(self._waiting):
                if len(batch) >= self.max_batch:
                    break
                items = self._waiting[key]
                batch.append(items.popleft())
                if not items:
                    del self._waiting[key]
                else:  # the next batch starts with the keys this one reached last
                    self._waiting.move_to_end(key)
        self._count -= len(batch)
        if not self._count:
            self._some.clear()
        return batch

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
            if self._count < self.max_batch:
                self._full.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._full.wait(), self.max_wait_seconds)
            batch = self.take()
            try:
                await self._sink(batch)
            except Exception:  # the sink settles every message itself; this is a bug
                log.exception("batch sink failed")
