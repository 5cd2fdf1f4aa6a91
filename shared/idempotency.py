"""Idempotency-Key handling for HTTP writes a client may retry (IETF httpapi draft semantics).

- no key: 400;
- first use of a key: the write runs and its answer is stored;
- the same key with the same body: the stored answer is replayed, nothing runs twice;
- the same key with another body: 422;
- the same key while the first request is still running: 409 (retry shortly).

Keys are scoped to the caller, so two users can never collide. FerretDB v1 has no TTL indexes,
so old records are removed by `purge_older_than`, which services call periodically.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from pymongo import IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from shared.clock import utc_now
from shared.errors import ApiError, field_error

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
COLLECTION = "idempotency_keys"  # each service's own, in its own database
MAX_KEY_LENGTH = 255
INDEXES = [IndexModel([("created_at", 1)], name="created_at")]

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias=HEADER,
        description="Unique per write; a retry with the same key and body replays the answer",
        examples=["2f0c1e0a-5d1b-4d1e-9a8e-1c7a4f0d3b21"],
    ),
]


def require_key(key: str | None) -> str:
    """Return the key, or answer 400 if the client sent none (or an unusable one)."""
    if key is None or not key.strip():
        raise ApiError(
            400,
            "idempotency_key_missing",
            "缺少 Idempotency-Key 请求头：每次写操作都需要一个唯一的键，重试时使用同一个键",
            "Missing Idempotency-Key header: every write needs a unique key, reused on retries",
        )
    if len(key) > MAX_KEY_LENGTH:
        raise field_error(
            HEADER,
            "too_long",
            f"Idempotency-Key 不能超过 {MAX_KEY_LENGTH} 个字符",
            f"Idempotency-Key must be at most {MAX_KEY_LENGTH} characters",
            location="header",
        )
    return key.strip()


def fingerprint(method: str, path: str, payload: Any) -> str:
    """Return a stable hash of what a request asked for.

    A validated model is serialised by pydantic (its fields in declared order, the same for
    every equal body: a tenth of the cost of the generic encoding on the intake hot path).
    """
    if isinstance(payload, BaseModel):
        canonical = payload.model_dump_json()
    else:
        canonical = json.dumps(
            jsonable_encoder(payload), sort_keys=True, ensure_ascii=False, separators=(",", ":")
        )
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


class IdempotencyStore:
    """Remember the answers of keyed writes in one collection."""

    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self.collection = collection

    async def run(
        self,
        *,
        owner: str,
        key: str | None,
        request_fingerprint: str,
        write: Callable[[], Awaitable[tuple[int, Any]]],
    ) -> JSONResponse:
        """Run `write` once per (owner, key) and return its answer, replaying it on retries."""
        record_id = f"{owner}\x1f{require_key(key)}"
        try:
            await self.collection.insert_one(
                {
                    "_id": record_id,
                    "fingerprint": request_fingerprint,
                    "state": "running",
                    "created_at": utc_now(),
                }
            )
        except DuplicateKeyError:
            return await self._replay(record_id, request_fingerprint)
        try:
            status, body = await write()
        except BaseException:
            # Nothing was stored, so the client may retry with the same key.
            await self.collection.delete_one({"_id": record_id, "state": "running"})
            raise
        encoded = jsonable_encoder(body)
        await self.collection.update_one(
            {"_id": record_id},
            {"$set": {"state": "done", "status": status, "body": encoded}},
        )
        return JSONResponse(status_code=status, content=encoded)

    async def answer(
        self,
        request: Request,
        *,
        owner: str,
        key: str | None,
        payload: Any,
        write: Callable[[], Awaitable[tuple[int, Any]]],
    ) -> JSONResponse:
        """Run `write` for this HTTP request once per (owner, key); see `run`."""
        return await self.run(
            owner=owner,
            key=key,
            request_fingerprint=fingerprint(request.method, request.url.path, payload),
            write=write,
        )

    async def _replay(self, record_id: str, request_fingerprint: str) -> JSONResponse:
        record = await self.collection.find_one({"_id": record_id})
        if record is None:  # the first attempt failed and was cleared meanwhile
            raise ApiError(
                409,
                "idempotency_key_retry",
                "该请求的上一次尝试未完成，请使用同一个 Idempotency-Key 重试",
                "The previous attempt with this key did not finish; retry with the same key",
            )
        if record["fingerprint"] != request_fingerprint:
            raise ApiError(
                422,
                "idempotency_key_reused",
                "该 Idempotency-Key 已用于内容不同的请求",
                "This Idempotency-Key was already used for a different request",
            )
        if record.get("state") != "done":
            raise ApiError(
                409,
                "idempotency_key_in_progress",
                "使用该 Idempotency-Key 的请求仍在处理中，请稍后重试",
                "A request with this Idempotency-Key is still being processed; retry shortly",
                headers={"Retry-After": "1"},
            )
        return JSONResponse(
            status_code=int(record["status"]),
            content=record.get("body"),
            headers={"Idempotent-Replayed": "true"},
        )

    async def purge_older_than(self, age: timedelta) -> int:
        """Delete records older than `age`; return how many went."""
        result = await self.collection.delete_many({"created_at": {"$lt": utc_now() - age}})
        return result.deleted_count

    async def keep_purged(self, age: timedelta, every_seconds: float = 3600) -> None:
        """Purge records older than `age` now and then, for as long as the service runs."""
        while True:
            try:
                purged = await self.purge_older_than(age)
                if purged:
                    log.info("old Idempotency-Key answers purged", extra={"count": purged})
            except Exception:  # a database hiccup: the next round purges them
                log.exception("purging old Idempotency-Key answers failed")
            await asyncio.sleep(every_seconds)
