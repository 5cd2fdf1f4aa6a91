"""Messaging over RabbitMQ: topology, confirmed publishing, consuming with retries and DLQs."""

from shared.messaging.broker import (
    Broker,
    Delivery,
    EncodedEvent,
    PermanentFailure,
    PublishFailed,
    encode_event,
)

__all__ = [
    "Broker",
    "Delivery",
    "EncodedEvent",
    "PermanentFailure",
    "PublishFailed",
    "encode_event",
]
