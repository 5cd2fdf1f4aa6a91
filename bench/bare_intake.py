"""The reference endpoint of the intake benchmark: it only validates a report and publishes it
with a publisher confirm, as fast as this machine allows (no auth, no keys, no places).

    uvicorn bench.bare_intake:app --workers 2   (AMQP_URL names the broker and vhost)

Each worker has one channel with confirms; publishes are persistent and mandatory to a quorum
queue, as intake's are.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aio_pika
from fastapi import FastAPI, HTTPException

from services.hazard_intake.reports.models import ReportAccepted, ReportCreate
from shared.ids import new_id

EXCHANGE = "bench.bare_intake"
QUEUE = "bench.bare_intake"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    connection = await aio_pika.connect_robust(os.environ["AMQP_URL"])
    channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
    exchange = await channel.declare_exchange(EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
    queue = await channel.declare_queue(QUEUE, durable=True, arguments={"x-queue-type": "quorum"})
    await queue.bind(exchange, "#")
    app.state.exchange = exchange
    yield
    await connection.close()


app = FastAPI(lifespan=lifespan)


@app.post("/v1/reports", status_code=202, response_model=ReportAccepted)
async def submit(report: ReportCreate) -> ReportAccepted:
    """Validate and publish; 202 after the confirm."""
    report_id = new_id()
    message = aio_pika.Message(
        report.model_dump_json().encode(),
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=report_id,
        content_type="application/json",
    )
    try:
        await app.state.exchange.publish(message, routing_key="bench.report", mandatory=True)
    except aio_pika.exceptions.DeliveryError as exc:
        raise HTTPException(503) from exc
    return ReportAccepted(report_id=report_id)
