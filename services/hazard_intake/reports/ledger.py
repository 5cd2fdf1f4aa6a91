"""Which body each Idempotency-Key was first used with, written in groups.

Every report costs one key record, and one database round trip per report would make the
database the front door's limit. Keys are inserted in groups (group commit): a group is
written once it holds `group_size` keys or its first key has waited `linger` seconds, and keys
arriving while a write is in flight form the next group; an offline batch of 100 reports is
one insert. An insert costs the driver and FerretDB about 0.4 ms each, plus 0.06 ms a key, so
a few milliseconds of waiting under load pay for themselves many times over. A key already
present is a retry: its first fingerprint is read back and compared.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure

from services.hazard_intake.reports import repository

Document = dict[str, Any]
DUPLICATE_KEY = 11000
MAX_GROUP = 500  # keys in one insert


@dataclass
class _Pending:
    report_id: str
    fingerprint: str
    created_at: datetime
    first: asyncio.Future[str]


class KeyLedger:
    """Remember report keys, many per database write."""

    def __init__(
        self, db: AsyncDatabase[Document], *, linger: float = 0.0, group_size: int = 1
    ) -> None:
        self.db = db
        self.linger = linger
        self.group_size = group_size
        self._queue: list[_Pending] = []
        self._writer: asyncio.Task[None] | None = None
        self._group_full: asyncio.Event | None = None

    async def remember(self, report_id: str, fingerprint: str, now: datetime) -> str:
        """Record a key's fingerprint; return the fingerprint the key was first used with."""
        # The single report's path (every POST): one future, awaited directly.
        return await self._enqueue(report_id, fingerprint, now)

    async def remember_many(self, entries: Sequence[tuple[str, str]], now: datetime) -> list[str]:
        """Record several keys (in order); return each key's first fingerprint."""
        waiting = [self._enqueue(rid, fp, now) for rid, fp in entries]
        return list(await asyncio.gather(*waiting))

    def _enqueue(self, report_id: str, fingerprint: str, now: datetime) -> asyncio.Future[str]:
        first: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._queue.append(_Pending(report_id, fingerprint, now, first))
        if self._group_full is not None and len(self._queue) >= self.group_size:
            self._group_full.set()
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_while_queued())
        return first

    async def _write_while_queued(self) -> None:
        while self._queue:
            if len(self._queue) < self.group_size and self.linger > 0:
                await self._wait_for_group()
            group, self._queue = self._queue[:MAX_GROUP], self._queue[MAX_GROUP:]
            try:
                await self._write(group)
            except Exception as exc:  # the callers answer 503 and the phone retries
                for item in group:
                    if not item.first.done():
                        item.first.set_exception(exc)

    async def _wait_for_group(self) -> None:
        """Wait until `group_size` keys are queued or `linger` seconds have passed."""
        self._group_full = asyncio.Event()
        timer = asyncio.get_running_loop().call_later(self.linger, self._group_full.set)
        try:
            await self._group_full.wait()
        finally:
            timer.cancel()
            self._group_full = None

    async def _write(self, group: list[_Pending]) -> None:
        # One key may be queued twice (a retry racing the original): insert it once.
        unique: dict[str, _Pending] = {}
        for item in group:
            unique.setdefault(item.report_id, item)
        docs = [
            {"_id": p.report_id, "fingerprint": p.fingerprint, "created_at": p.created_at}
            for p in unique.values()
        ]
        # The plain insert command: the bulk-write API costs more client CPU than the write.
        answer = await self.db.command(
            {"insert": repository.COLLECTION, "documents": docs, "ordered": False}
        )
        errors = answer.get("writeErrors", [])
        if any(error.get("code") != DUPLICATE_KEY for error in errors):
            raise OperationFailure(f"report keys not recorded: {errors[:3]}")
        existing = {docs[error["index"]]["_id"] for error in errors}
        firsts = {p.report_id: p.fingerprint for p in unique.values()}
        for report_id in existing:
            first = await repository.first_fingerprint(self.db, report_id)
            firsts[report_id] = first or firsts[report_id]
        for item in group:
            # A key queued twice in one group: the second sees the first one's body.
            item.first.set_result(firsts[item.report_id])
