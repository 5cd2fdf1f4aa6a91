"""The base of every event type, the catalogue they register in, and their CloudEvents wire form.

An event type is declared once, as a frozen pydantic model with its routing key:

    class ReportSubmitted(Event, routing_key="hazard_intake.report.submitted"):
        report_id: str
        ...

The producer is the first part of the routing key (it owns the topic exchange of that name);
the CloudEvents `type` is `cn.xiaoan.<routing key>`. On the wire, an event travels in the
CloudEvents 1.0 JSON structured mode: `id`, `source`, `type`, `time` and `specversion` as
attributes, the model's own fields under `data`. Changes are additive; a breaking change is a new
type with a new routing key.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from shared.clock import utc_now
from shared.ids import new_id

CLOUDEVENTS_CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
_ENVELOPE_FIELDS = {"event_id", "occurred_at"}
CLOUDEVENTS_TYPE_PREFIX = "cn.xiaoan."
SPEC_VERSION = "1.0"


class Event(BaseModel):
    """A fact that happened in one service and that others may react to. Past tense, immutable."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    routing_key: ClassVar[str]
    producer: ClassVar[str]

    event_id: str = Field(default_factory=new_id, description="Unique id; consumers dedupe on it")
    occurred_at: datetime = Field(default_factory=utc_now, description="When it happened (UTC)")

    def __init_subclass__(cls, routing_key: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not routing_key:
            return
        parts = routing_key.split(".")
        if len(parts) != 3 or not all(parts):
            raise ValueError(f"routing key must be <producer>.<entity>.<verb-past>: {routing_key}")
        cls.routing_key = routing_key
        cls.producer = parts[0]
        CATALOGUE.register(cls)

    @classmethod
    def cloudevents_type(cls) -> str:
        """Return the CloudEvents `type` attribute of this event type."""
        return CLOUDEVENTS_TYPE_PREFIX + cls.routing_key

    def to_cloudevent(self, *, correlation_id: str | None = None) -> dict[str, Any]:
        """Return this event as a CloudEvents 1.0 structured-mode JSON object."""
        envelope = self._attributes(correlation_id)
        envelope["data"] = self.model_dump(mode="json", exclude=_ENVELOPE_FIELDS)
        return envelope

    def to_bytes(self, *, correlation_id: str | None = None) -> bytes:
        """Encode this event for the wire (UTF-8 JSON, Chinese kept readable).

        The same JSON as `to_cloudevent`, with `data` serialised by pydantic straight to bytes
        (the generic route through dicts costs the intake hot path more than its publish).
        """
        attributes = json.dumps(
            self._attributes(correlation_id), ensure_ascii=False, separators=(",", ":")
        ).encode()
        data = self.__pydantic_serializer__.to_json(self, exclude=_ENVELOPE_FIELDS)
        return attributes[:-1] + b',"data":' + data + b"}"

    def _attributes(self, correlation_id: str | None) -> dict[str, Any]:
        attributes: dict[str, Any] = {
            "specversion": SPEC_VERSION,
            "id": self.event_id,
            "source": f"/xiaoan/{self.producer}",
            "type": self.cloudevents_type(),
            "time": self.occurred_at.isoformat().replace("+00:00", "Z"),
            "datacontenttype": "application/json",
        }
        if correlation_id:
            attributes["correlationid"] = correlation_id
        return attributes


class UnknownEventType(ValueError):
    """A message whose type no consumer in this codebase declares."""


class Catalogue:
    """Every event type in Xiaoan, by routing key."""

    def __init__(self) -> None:
        self._by_routing_key: dict[str, type[Event]] = {}

    def register(self, event_type: type[Event]) -> None:
        """Add an event type; a routing key may be declared only once."""
        existing = self._by_routing_key.get(event_type.routing_key)
        if existing is not None and existing.__qualname__ != event_type.__qualname__:
            raise ValueError(f"routing key declared twice: {event_type.routing_key}")
        self._by_routing_key[event_type.routing_key] = event_type

    def by_routing_key(self, routing_key: str) -> type[Event]:
        """Return the event type that owns `routing_key`."""
        try:
            return self._by_routing_key[routing_key]
        except KeyError:
            raise UnknownEventType(routing_key) from None

    def all(self) -> list[type[Event]]:
        """Return every event type, sorted by routing key."""
        return [self._by_routing_key[key] for key in sorted(self._by_routing_key)]


CATALOGUE = Catalogue()


def decode_cloudevent(body: bytes) -> tuple[Event, str | None]:
    """Decode a structured-mode CloudEvent into its event model and correlation id.

    Raises ValueError (or UnknownEventType) for anything that is not one of our events.
    """
    envelope = json.loads(body)
    if not isinstance(envelope, dict) or envelope.get("specversion") != SPEC_VERSION:
        raise ValueError("not a CloudEvents 1.0 structured-mode message")
    ce_type = str(envelope.get("type", ""))
    if not ce_type.startswith(CLOUDEVENTS_TYPE_PREFIX):
        raise UnknownEventType(ce_type)
    event_type = CATALOGUE.by_routing_key(ce_type.removeprefix(CLOUDEVENTS_TYPE_PREFIX))
    data = envelope.get("data")
    if not isinstance(data, dict):
        raise ValueError("CloudEvent without an object in data")
    event = event_type.model_validate(
        {**data, "event_id": envelope.get("id"), "occurred_at": envelope.get("time")}
    )
    correlation_id = envelope.get("correlationid")
    return event, str(correlation_id) if correlation_id else None
