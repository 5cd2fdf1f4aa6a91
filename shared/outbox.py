"""The outbox kept inside each document, and the relay that publishes it.

FerretDB (like any MongoDB without transactions) cannot write a document and a message in one
transaction, so a state change and the events it causes are written together, in one document
write: the events go into the document's `outbox` array. The relay then publishes them (with
publisher confirms) and removes them from the array. If the process dies in between, the next
sweep finds them again; an event may then be published twice, which is why every consumer is
idempotent by event id.

    await hazards.insert_one({..., **new_outbox(HazardOpened(...))})
    await hazards.update_one({"_id": id}, {"$set": {...}, **push_outbox(HazardAssigned(...))})
    relay.notify("hazards", id)          # publish now instead of at the next sweep
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection

from shared import mongo
from shared.clock import utc_now
from shared.events.base import Event
from shared.messaging.broker import Broker, EncodedEvent, PublishFailed, encode_event
from shared.observability.metrics import ServiceMetrics

log = logging.getLogger(__name__)

OUTBOX_FIELD = "outbox"
# After a failed publish the relay sweeps again this soon, doubling up to the sweep interval
# while publishes keep failing (a broker that is down is not asked a thousand times a second).
FIRST_RETRY_SECONDS = 1.0


def _entry(event: Event) -> dict[str, Any]:
    encoded = encode_event(event)
    return {
        "event_id": encoded.event_id,
        "routing_key": encoded.routing_key,
        "ce_type": encoded.ce_type,
        "body": encoded.body.decode(),
        "correlation_id": encoded.correlation_id,
        "created_at": utc_now(),
    }


def new_outbox(*events: Event) -> dict[str, list[dict[str, Any]]]:
    """Return the outbox field of a new document holding `events`."""
    return {OUTBOX_FIELD: [_entry(event) for event in events]}


def push_outbox(*events: Event) -> dict[str, Any]:
    """Return the `$push` part of an update that adds `events` to a document's outbox."""
    return {"$push": {OUTBOX_FIELD: {"$each": [_entry(event) for event in events]}}}


def _decode(entry: Mapping[str, Any]) -> EncodedEvent:
    return EncodedEvent(
        event_id=str(entry["event_id"]),
        routing_key=str(entry["routing_key"]),
        ce_type=str(entry["ce_type"]),
        body=str(entry["body"]).encode(),
        correlation_id=entry.get("correlation_id"),
    )


class OutboxRelay:
    """Publish what waits in the outboxes of some collections, then remove it from them.

    Writers call `notify` and their events go out at once. The sweep is the backstop for what
    a crashed process left (swept at start, and by other replicas every `sweep_interval`) and
    for failed publishes (swept again after a back-off). It is rare on purpose: FerretDB on
    SQLite answers `{outbox.0: {$exists: true}}` by reading and parsing every document of the
    collection (about 1 s per 6,000 hazards), so a sweep every 2 s took half a core.
    """

    def __init__(
        self,
        broker: Broker,
        collections: Sequence[AsyncCollection[dict[str, Any]]],
        metrics: ServiceMetrics,
        *,
        sweep_interval: float = 30.0,
        workers: int = 2,
        batch: int = 500,
    ) -> None:
        self.broker = broker
        self.collections = {c.name: c for c in collections}
        self.sweep_interval = sweep_interval
        self.batch = batch
        self._workers = workers
        # One lane per collection, each with its own workers: a flood of joined reports
        # waiting to be relayed never holds up the openings of other places' hazards.
        self._pending: dict[str, asyncio.Queue[Any]] = {
            name: asyncio.Queue() for name in self.collections
        }
        self._busy: set[tuple[str, Any]] = set()
        self._again: set[tuple[str, Any]] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._failed = asyncio.Event()
        self._relayed = metrics.counter(
            "outbox_events_relayed_total", "Outbox events published and removed", ["collection"]
        )
        self._failures = metrics.counter(
            "outbox_relay_failures_total", "Outbox publishes that will be retried"
        )

    def notify(self, collection: str, doc_id: Any) -> None:
        """Ask for the outbox of one document to be published soon."""
        self._pending[collection].put_nowait(doc_id)

    async def start(self) -> None:
        """Start the workers and the periodic sweep (which also catches up after a crash)."""
        self._tasks = [
            asyncio.create_task(self._worker(name))
            for name in self.collections
            for _ in range(self._workers)
        ]
        self._tasks.append(asyncio.create_task(self._sweeper()))

    async def stop(self) -> None:
        """Stop publishing; what is left stays in the documents for the next start."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def relay_document(self, collection: str, doc_id: Any) -> int:
        """Publish the outbox of one document in order; return how many events went out."""
        return await self.relay_documents(collection, [doc_id])

    async def relay_documents(self, collection: str, doc_ids: Sequence[Any]) -> int:
        """Publish the outboxes of documents of one collection, each in its order, reading and
        clearing them together (one command each way); return how many events went out."""
        mine = []
        for doc_id in dict.fromkeys(doc_ids):
            key = (collection, doc_id)
            if key in self._busy:
                # Events may have been added after the running relay read the document: it
                # goes round once more instead of this call being lost.
                self._again.add(key)
            else:
                self._busy.add(key)
                mine.append(doc_id)
        relayed = 0
        try:
            todo = mine
            while todo:
                for doc_id in todo:
                    self._again.discard((collection, doc_id))
                relayed += await self._relay(self.collections[collection], todo)
                todo = [doc_id for doc_id in todo if (collection, doc_id) in self._again]
        finally:
            for doc_id in mine:
                self._busy.discard((collection, doc_id))
        return relayed

    async def sweep_once(self) -> int:
        """Relay every document that still has events waiting; return how many events went out."""
        total = 0
        for name, collection in self.collections.items():
            cursor = collection.find(
                {f"{OUTBOX_FIELD}.0": {"$exists": True}}, {"_id": 1}, limit=self.batch
            )
            total += await self.relay_documents(name, [doc["_id"] async for doc in cursor])
        return total

    async def _relay(
        self, collection: AsyncCollection[dict[str, Any]], doc_ids: Sequence[Any]
    ) -> int:
        cursor = collection.find({"_id": {"$in": list(doc_ids)}}, {OUTBOX_FIELD: 1})
        docs = [doc async for doc in cursor if doc.get(OUTBOX_FIELD)]
        # Each document's events in order; documents side by side, awaiting confirms together.
        published = await asyncio.gather(*(self._publish(doc) for doc in docs))
        done = [
            UpdateOne({"_id": doc["_id"]}, {"$pullAll": {OUTBOX_FIELD: entries}})
            for doc, entries in zip(docs, published, strict=True)
            if entries
        ]
        if done:
            # $pullAll with the entries exactly as read: FerretDB v1 ignores $pull conditions
            # on array elements (it only removes exact matches), and this works on both.
            await mongo.bulk_write_in_parts(collection, done)
        count = sum(len(entries) for entries in published)
        self._relayed.labels(collection.name).inc(count)
        return count

    async def _publish(self, doc: dict[str, Any]) -> list[dict[str, Any]]:
        """Publish a document's outbox in order; return the entries the broker confirmed."""
        published: list[dict[str, Any]] = []
        try:
            for entry in doc[OUTBOX_FIELD]:
                await self.broker.publish_encoded(_decode(entry))
                published.append(entry)
        except PublishFailed:
            self._failures.inc()
            self._failed.set()
            log.warning("outbox publish failed; will retry", extra={"doc_id": str(doc["_id"])})
        return published

    async def _worker(self, collection: str) -> None:
        pending = self._pending[collection]
        while True:
            # What was asked for meanwhile goes together: a burst of writes costs a few reads.
            asked = [await pending.get()]
            while len(asked) < self.batch and not pending.empty():
                asked.append(pending.get_nowait())
            try:
                await self.relay_documents(collection, asked)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay failed; the sweep will retry")
                self._failed.set()

    async def _sweeper(self) -> None:
        backoff = FIRST_RETRY_SECONDS
        while True:
            self._failed.clear()
            try:
                await self.sweep_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox sweep failed")
                self._failed.set()
            if not self._failed.is_set():
                backoff = FIRST_RETRY_SECONDS
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._failed.wait(), self.sweep_interval)
                if not self._failed.is_set():
                    continue
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.sweep_interval)
