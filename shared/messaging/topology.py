"""Every exchange and queue Xiaoan declares, and their names, in one place.

    xiaoan.<producer>        topic    one per producing service; routing key = event type
    <service>.<handler>      quorum   one per consuming handler, bound to the keys it handles
    xiaoan.delay             headers  routes a failed message to the delay queue of its back-off
    xiaoan.delay.<n>ms       quorum   holds it for n ms, then dead-letters it to xiaoan.requeue
    xiaoan.requeue           direct   routing key = handler queue name: back to that queue only
    xiaoan.dead-letter       direct   routing key = handler queue name
    <queue>.dead-letter      quorum   poison messages of one handler, kept for an operator
    xiaoan.parked            fanout   a copy of every poison message, for a watcher (the case
                                      service flags the hazard it concerns); bound to
                                      xiaoan.dead-letter once per handler queue

A message that fails is retried with growing delays, at most `max_attempts` times, then parked
in its handler's dead-letter queue. A consumer that crashes on a message again and again is
stopped by the quorum queue's delivery limit, which dead-letters it to the same place.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from aio_pika import ExchangeType
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue

DELAY_EXCHANGE = "xiaoan.delay"
REQUEUE_EXCHANGE = "xiaoan.requeue"
DEAD_LETTER_EXCHANGE = "xiaoan.dead-letter"
PARKED_EXCHANGE = "xiaoan.parked"
# No "x-" prefix: a headers exchange ignores headers starting with "x-" when matching.
DELAY_HEADER = "xiaoan-delay"
ATTEMPT_HEADER = "xiaoan-attempt"
ERROR_HEADER = "xiaoan-error"
CORRELATION_HEADER = "xiaoan-correlation-id"

# A consumer process that dies on the same message this often is not going to get better.
CRASH_DELIVERY_LIMIT = 20


def exchange_name(producer: str) -> str:
    """Return the topic exchange owned by `producer`."""
    return f"xiaoan.{producer}"


def handler_queue_name(service: str, handler: str) -> str:
    """Return the queue owned by one handler of one service."""
    return f"{service}.{handler}"


def dead_letter_queue_name(queue: str) -> str:
    """Return where the poison messages of `queue` are kept."""
    return f"{queue}.dead-letter"


def delay_queue_name(delay_ms: int) -> str:
    """Return the queue that holds retried messages for `delay_ms`."""
    return f"xiaoan.delay.{delay_ms}ms"


def delay_tag(delay_ms: int) -> str:
    """Return the header value that routes a message to the `delay_ms` delay queue."""
    return f"{delay_ms}ms"


async def declare_producer_exchange(channel: AbstractChannel, producer: str) -> AbstractExchange:
    """Declare the durable topic exchange a service publishes its events to."""
    return await channel.declare_exchange(exchange_name(producer), ExchangeType.TOPIC, durable=True)


async def declare_retry_topology(channel: AbstractChannel, delays_ms: Iterable[int]) -> None:
    """Declare the shared delay, requeue and dead-letter exchanges and the delay queues."""
    delay = await channel.declare_exchange(DELAY_EXCHANGE, ExchangeType.HEADERS, durable=True)
    await channel.declare_exchange(REQUEUE_EXCHANGE, ExchangeType.DIRECT, durable=True)
    await channel.declare_exchange(DEAD_LETTER_EXCHANGE, ExchangeType.DIRECT, durable=True)
    await channel.declare_exchange(PARKED_EXCHANGE, ExchangeType.FANOUT, durable=True)
    for delay_ms in sorted(set(delays_ms)):
        queue = await channel.declare_queue(
            delay_queue_name(delay_ms),
            durable=True,
            arguments={
                "x-queue-type": "quorum",
                "x-message-ttl": delay_ms,
                "x-dead-letter-exchange": REQUEUE_EXCHANGE,
                # Expired messages keep their routing key (the handler queue's name).
                "x-dead-letter-strategy": "at-least-once",
                "x-overflow": "reject-publish",
            },
        )
        await queue.bind(delay, arguments={"x-match": "all", DELAY_HEADER: delay_tag(delay_ms)})


async def declare_handler_queue(
    channel: AbstractChannel,
    queue_name: str,
    bindings: Sequence[tuple[str, str]],
    *,
    watched: bool = True,
) -> AbstractQueue:
    """Declare a handler's quorum queue, its dead-letter queue, and bind it.

    `bindings` are (producer, routing key) pairs: the queue receives those events. The poison
    messages of a `watched` queue are also copied to the parked-message watchers (the watchers'
    own queues are not watched: a watcher failing on a message must not hear of it again).
    """
    dead_letters = await channel.declare_queue(
        dead_letter_queue_name(queue_name), durable=True, arguments={"x-queue-type": "quorum"}
    )
    await dead_letters.bind(DEAD_LETTER_EXCHANGE, routing_key=queue_name)
    if watched:
        parked = await channel.get_exchange(PARKED_EXCHANGE, ensure=False)
        await parked.bind(DEAD_LETTER_EXCHANGE, routing_key=queue_name)
    queue = await channel.declare_queue(
        queue_name,
        durable=True,
        arguments={
            "x-queue-type": "quorum",
            "x-delivery-limit": CRASH_DELIVERY_LIMIT,
            "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
            "x-dead-letter-routing-key": queue_name,
        },
    )
    for producer, routing_key in bindings:
        exchange = await declare_producer_exchange(channel, producer)
        await queue.bind(exchange, routing_key=routing_key)
    await queue.bind(REQUEUE_EXCHANGE, routing_key=queue_name)
    return queue


async def declare_watcher_queue(channel: AbstractChannel, queue_name: str) -> AbstractQueue:
    """Declare a queue that receives a copy of every parked (dead-lettered) message."""
    queue = await declare_handler_queue(channel, queue_name, [], watched=False)
    await queue.bind(PARKED_EXCHANGE)
    return queue
