"""Messaging over RabbitMQ: topology, confirmed publishing, consuming with retries and DLQs."""

from shared.messaging.broker import (
    Broker,
    Delivery,
    EncodedEvent,
    PermanentFailure,
    PublishFailed,
    encode_event,
)
from shared.messaging.parked import ParkedMessage

__all__ = [
    "Broker",
    "Delivery",
    "EncodedEvent",
    "ParkedMessage",
    "PermanentFailure",
    "PublishFailed",
    "encode_event",
]
