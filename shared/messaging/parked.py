"""A poison message as a watcher sees it: which handler queue gave up on it, why, and what it
was about (read leniently: a message that failed validation must still say its hazard)."""

from __future__ import annotations

import json
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from aio_pika.abc import AbstractIncomingMessage

from shared.events.base import CLOUDEVENTS_TYPE_PREFIX
from shared.messaging import topology

MAX_KEPT_BYTES = 64 * 1024  # what an operator may need to replay it by hand
PARKED_FROM_HEADER = "xiaoan-parked-from"  # set when a watcher retries its copy


@dataclass(frozen=True)
class ParkedMessage:
    """A message a handler queue gave up on, copied to the watchers."""

    queue: str  # the handler queue that parked it: `<service>.<handler>`
    error: str
    attempts: int
    event_type: str | None  # routing key of the event type, when the body names one
    event_id: str | None
    data: dict[str, Any] | None  # the event's data as sent, unvalidated
    body: str  # the raw body (UTF-8, cut at MAX_KEPT_BYTES)

    @property
    def service(self) -> str:
        """Return the service whose handler gave up."""
        return self.queue.split(".", 1)[0]


def read_parked(message: AbstractIncomingMessage) -> ParkedMessage:
    """Read a parked copy, whatever its body holds."""
    headers = message.headers or {}
    envelope: Any = None
    with suppress(ValueError):  # not JSON at all: the raw body is all there is
        envelope = json.loads(message.body)
    if not isinstance(envelope, dict):
        envelope = {}
    ce_type = str(envelope.get("type") or "")
    data = envelope.get("data")
    return ParkedMessage(
        queue=str(headers.get(PARKED_FROM_HEADER) or message.routing_key or ""),
        error=str(headers.get(topology.ERROR_HEADER) or _death_reason(headers)),
        attempts=_as_int(headers.get(topology.ATTEMPT_HEADER)),
        event_type=ce_type.removeprefix(CLOUDEVENTS_TYPE_PREFIX) if ce_type else None,
        event_id=str(envelope["id"]) if envelope.get("id") else message.message_id,
        data=data if isinstance(data, dict) else None,
        body=message.body[:MAX_KEPT_BYTES].decode("utf-8", "replace"),
    )


def _death_reason(headers: dict[str, Any]) -> str:
    # Parked by RabbitMQ itself (the delivery limit: a consumer crashed on it again and again).
    reason = headers.get("x-first-death-reason")
    return f"dead-lettered by the broker: {reason}" if reason else "dead-lettered"


def _as_int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
