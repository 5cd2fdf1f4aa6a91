"""Generate the AsyncAPI 3.0 document of every event from the catalogue.

    python -m shared.events.asyncapi > docs/asyncapi.json

The committed copy in docs/ is checked against this generator by a unit test, so the document
cannot drift from the code.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

import shared.events  # noqa: F401  (fills the catalogue)
from shared.events.base import CATALOGUE, CLOUDEVENTS_CONTENT_TYPE, SPEC_VERSION
from shared.messaging.topology import exchange_name

ENVELOPE_FIELDS = ("event_id", "occurred_at")


def _data_schemas() -> dict[str, Any]:
    models: list[tuple[type[BaseModel], Literal["validation"]]] = [
        (event_type, "validation") for event_type in CATALOGUE.all()
    ]
    _, top = models_json_schema(models, ref_template="#/components/schemas/{model}")
    schemas: dict[str, Any] = top.get("$defs", {})
    for event_type in CATALOGUE.all():
        schema = schemas[event_type.__name__]
        # id and time travel as CloudEvents attributes, not inside data.
        for field in ENVELOPE_FIELDS:
            schema.get("properties", {}).pop(field, None)
        if "required" in schema:
            schema["required"] = [f for f in schema["required"] if f not in ENVELOPE_FIELDS]
    return schemas


def _envelope(event_name: str, ce_type: str, source: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["specversion", "id", "source", "type", "time", "data"],
        "properties": {
            "specversion": {"const": SPEC_VERSION},
            "id": {"type": "string", "description": "Event id; consumers deduplicate on it"},
            "source": {"const": source},
            "type": {"const": ce_type},
            "time": {"type": "string", "format": "date-time"},
            "datacontenttype": {"const": "application/json"},
            "correlationid": {"type": "string", "description": "Travels from the HTTP request"},
            "data": {"$ref": f"#/components/schemas/{event_name}"},
        },
    }


def build_document() -> dict[str, Any]:
    """Return the AsyncAPI 3.0 document for the whole catalogue."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for event_type in CATALOGUE.all():
        name = event_type.__name__
        key = event_type.routing_key
        channel_id = key.replace(".", "_")
        messages[name] = {
            "name": name,
            "title": name,
            "summary": (event_type.__doc__ or "").strip().splitlines()[0],
            "contentType": CLOUDEVENTS_CONTENT_TYPE,
            "payload": _envelope(
                name, event_type.cloudevents_type(), f"/xiaoan/{event_type.producer}"
            ),
            "bindings": {"amqp": {"deliveryMode": 2, "bindingVersion": "0.3.0"}},
        }
        channels[channel_id] = {
            "address": key,
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
            "bindings": {
                "amqp": {
                    "is": "routingKey",
                    "exchange": {
                        "name": exchange_name(event_type.producer),
                        "type": "topic",
                        "durable": True,
                        "autoDelete": False,
                    },
                    "bindingVersion": "0.3.0",
                }
            },
        }
        operations[f"publish{name}"] = {
            "action": "send",
            "summary": f"Published by {event_type.producer}",
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "messages": [{"$ref": f"#/channels/{channel_id}/messages/{name}"}],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Xiaoan (校安) events",
            "version": "1.0.0",
            "description": (
                "Every event the Xiaoan services exchange over RabbitMQ, as CloudEvents 1.0 "
                "(structured JSON mode). Each producer owns the topic exchange "
                "`xiaoan.<producer>`; the routing key is the event type."
            ),
        },
        "defaultContentType": CLOUDEVENTS_CONTENT_TYPE,
        "servers": {
            "local": {"host": "127.0.0.1:5672", "protocol": "amqp", "protocolVersion": "0.9.1"}
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": _data_schemas()},
    }


def render() -> str:
    """Return the document as stable, readable JSON."""
    return json.dumps(build_document(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
