"""Idempotency-Key handling for HTTP writes a client may retry (IETF httpapi draft semantics).

- no key: 400;
- first use of a key: the write runs and its answer (status and body) is kept;
- the same key with the same body: the first answer is replayed with its status and
  `Idempotent-Replayed: true`, nothing runs twice;
- the same key with another body: 422;
- the same key while the first request is still running: 409 (retry shortly).

Keys are scoped to the caller, so two users can never collide. They live in the key-value
store every replica shares (`shared/keyvalue.py`), so a retry that reaches another replica is
answered alike. A claim holds while its write runs (renewed every few seconds, so a long Excel
import keeps it and a crashed replica's claim frees itself within `CLAIM_SECONDS`); an answer
is kept for the service's retention (`XIAOAN_IDEMPOTENCY_RETENTION_HOURS`) and then expires.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any

from fastapi import Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from redis.asyncio import Redis
from redis.exceptions import RedisError

from shared.errors import ApiError, field_error

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
# A claim lives this long unless renewed; renewed every RENEW_SECONDS while its write runs.
CLAIM_SECONDS = 30
RENEW_SECONDS = 10.0

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias=HEADER,
        description="Unique per write; a retry with the same key and body replays the answer",
        examples=["2f0c1e0a-5d1b-4d1e-9a8e-1c7a4f0d3b21"],
    ),
]

# Change a record only while it still holds this request's claim (another may have taken over
# after the claim expired): KEYS[1] the record, ARGV[1] the claim, ARGV[2..] what to do.
_RELEASE = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
)
_RENEW = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then "
    "return redis.call('expire', KEYS[1], ARGV[2]) end return 0"
)
_SETTLE = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then "
    "return redis.call('set', KEYS[1], ARGV[2], 'EX', ARGV[3]) end return 0"
)


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
    every equal body); anything else as JSON with sorted keys.
    """
    if isinstance(payload, BaseModel):
        canonical = payload.model_dump_json()
    else:
        canonical = json.dumps(
            jsonable_encoder(payload), sort_keys=True, ensure_ascii=False, separators=(",", ":")
        )
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def key_reused() -> ApiError:
    """Build the 422 answering a key first used with another body."""
    return ApiError(
        422,
        "idempotency_key_reused",
        "该 Idempotency-Key 已用于内容不同的请求",
        "This Idempotency-Key was already used for a different request",
    )


def store_unavailable() -> ApiError:
    """Build the 503 answering a request when the shared store cannot be reached."""
    return ApiError(
        503,
        "store_unavailable",
        "暂时无法处理，请稍后使用同一个 Idempotency-Key 重试",
        "Temporarily unavailable; retry shortly with the same Idempotency-Key",
        headers={"Retry-After": "2"},
    )


class Replayed(Exception):
    """The key was answered before (raised by `claim` with the first answer)."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


async def respond(
    outcome: Awaitable[tuple[int, Any]], *, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """Return the answer of `IdempotencyStore.once` as a response, marking a replay."""
    try:
        status, body = await outcome
    except Replayed as replay:
        return JSONResponse(
            status_code=replay.status,
            content=replay.body,
            headers={**(headers or {}), "Idempotent-Replayed": "true"},
        )
    return JSONResponse(status_code=status, content=body, headers=dict(headers or {}))


class IdempotencyStore:
    """Remember the answers of keyed writes in the shared key-value store."""

    def __init__(self, client: Redis, *, prefix: str, retention_seconds: int) -> None:
        self.client = client
        self.prefix = prefix + "idem:"
        self.retention_seconds = retention_seconds
        # Sent by digest (EVALSHA), the text only when the server does not know it yet.
        self._release = client.register_script(_RELEASE)
        self._renew = client.register_script(_RENEW)
        self._settle = client.register_script(_SETTLE)

    async def run(
        self,
        *,
        owner: str,
        key: str | None,
        request_fingerprint: str,
        write: Callable[[], Awaitable[tuple[int, Any]]],
        headers: Mapping[str, str] | None = None,
    ) -> JSONResponse:
        """Run `write` once per (owner, key) and return its answer, replaying it on retries."""
        return await respond(
            self.once(owner=owner, key=key, request_fingerprint=request_fingerprint, write=write),
            headers=headers,
        )

    async def once(
        self,
        *,
        owner: str,
        key: str | None,
        request_fingerprint: str,
        write: Callable[[], Awaitable[tuple[int, Any]]],
    ) -> tuple[int, Any]:
        """Run `write` once per (owner, key) and return its (status, JSON body); raise
        Replayed with the first answer on a retry, or ApiError (409, 422, 503)."""
        record = self.record_name(owner, require_key(key))
        claim = json.dumps(
            {"fp": request_fingerprint, "state": "running", "claim": secrets.token_hex(8)}
        ).encode()
        try:
            claimed = await self.client.set(record, claim, nx=True, ex=CLAIM_SECONDS)
            if not claimed:
                self._raise_replay(await self.client.get(record), request_fingerprint)
        except RedisError as exc:
            raise store_unavailable() from exc
        try:
            status, body = await self._holding(record, claim, write)
        except BaseException:
            # Nothing was answered, so the client may retry with the same key.
            await self._quietly(self._release(keys=[record], args=[claim]))
            raise
        # A model serialises itself (a tenth of the generic encoder's work on intake's path).
        encoded = (
            body.model_dump(mode="json") if isinstance(body, BaseModel) else jsonable_encoder(body)
        )
        answer = json.dumps(
            {"fp": request_fingerprint, "state": "done", "status": status, "body": encoded},
            ensure_ascii=False,
        )
        # Written or not, the write happened: answer it. Unkept, a retry after the claim
        # expires runs it again, which every keyed write tolerates by its derived ids.
        await self._quietly(
            self._settle(keys=[record], args=[claim, answer, self.retention_seconds])
        )
        return status, encoded

    def record_name(self, owner: str, key: str) -> bytes:
        """Return the name under which the answer of `owner`'s `key` is kept."""
        return f"{self.prefix}{owner}\x1f{key}".encode()

    async def answer(
        self,
        request: Request,
        *,
        owner: str,
        key: str | None,
        payload: Any,
        write: Callable[[], Awaitable[tuple[int, Any]]],
        headers: Mapping[str, str] | None = None,
    ) -> JSONResponse:
        """Run `write` for this HTTP request once per (owner, key); see `run`."""
        return await self.run(
            owner=owner,
            key=key,
            request_fingerprint=fingerprint(request.method, request.url.path, payload),
            write=write,
            headers=headers,
        )

    async def _holding(
        self, record: bytes, claim: bytes, write: Callable[[], Awaitable[tuple[int, Any]]]
    ) -> tuple[int, Any]:
        """Run `write`, renewing the claim every renewal period for as long as it runs.

        A timer, not a task, waits beside the write: most writes end long before it fires.
        """
        loop = asyncio.get_running_loop()
        renewals: list[asyncio.Task[None]] = []
        timer: list[asyncio.TimerHandle] = []

        def renew() -> None:
            renewal = self._renew(keys=[record], args=[claim, CLAIM_SECONDS])
            renewals.append(loop.create_task(self._quietly(renewal)))
            timer[0] = loop.call_later(RENEW_SECONDS, renew)

        timer.append(loop.call_later(RENEW_SECONDS, renew))
        try:
            return await write()
        finally:
            timer[0].cancel()
            for renewal in renewals:
                renewal.cancel()

    @staticmethod
    def _raise_replay(raw: bytes | str | None, request_fingerprint: str) -> None:
        if raw is None:  # the first attempt failed, or its claim expired, just now
            raise ApiError(
                409,
                "idempotency_key_retry",
                "该请求的上一次尝试未完成，请使用同一个 Idempotency-Key 重试",
                "The previous attempt with this key did not finish; retry with the same key",
                headers={"Retry-After": "1"},
            )
        record = json.loads(raw)
        if record["fp"] != request_fingerprint:
            raise key_reused()
        if record["state"] != "done":
            raise ApiError(
                409,
                "idempotency_key_in_progress",
                "使用该 Idempotency-Key 的请求仍在处理中，请稍后重试",
                "A request with this Idempotency-Key is still being processed; retry shortly",
                headers={"Retry-After": "1"},
            )
        raise Replayed(int(record["status"]), record.get("body"))

    @staticmethod
    async def _quietly(command: Awaitable[Any]) -> None:
        try:
            await command
        except RedisError:
            log.warning("the key-value store did not take an Idempotency-Key update", exc_info=True)
