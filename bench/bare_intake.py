"""The reference endpoint of the intake benchmark: the essential work of a report and nothing
more, as fast as a bare FastAPI app allows.

    uvicorn bench.bare_intake:app --workers 2
    (AMQP_URL names the broker and vhost, REDIS_URL the shared store, JWT_PUBLIC_KEY_FILE the key)

Per request: verify the bearer token (the shared verifier, which remembers a verified token as
intake's does), validate the report, record its Idempotency-Key in the shared store (one
SET NX EX), publish the ReportSubmitted event the case service needs (the same CloudEvent,
persistent and mandatory, to a quorum queue), and answer 202 after the broker's confirm. No
places (one fixed place), no throttles, no replays, no error shape, no metrics.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

import aio_pika
from fastapi import FastAPI, Header, HTTPException
from redis.asyncio import Redis

from services.hazard_intake.reports.models import ReportAccepted, ReportCreate
from shared.auth import InvalidToken, TokenVerifier
from shared.clock import utc_now
from shared.events import PersonRef, ReportSubmitted
from shared.ids import derived_id

EXCHANGE = "bench.bare_intake"
QUEUE = "bench.bare_intake"
KEY_SECONDS = 14 * 24 * 3600
PUBLIC_KEY = Path(os.environ["JWT_PUBLIC_KEY_FILE"]).read_bytes()  # read once, at import


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    connection = await aio_pika.connect_robust(os.environ["AMQP_URL"])
    channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
    exchange = await channel.declare_exchange(EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
    queue = await channel.declare_queue(QUEUE, durable=True, arguments={"x-queue-type": "quorum"})
    await queue.bind(exchange, "#")
    app.state.exchange = exchange
    app.state.keys = Redis.from_url(os.environ["REDIS_URL"])
    app.state.verifier = TokenVerifier(
        PUBLIC_KEY,
        issuer="xiaoan-grid-registry",
        audience="xiaoan",
    )
    yield
    await app.state.keys.aclose()
    await connection.close()


app = FastAPI(lifespan=lifespan)


@app.post("/v1/reports", status_code=202, response_model=ReportAccepted)
async def submit(
    report: ReportCreate,
    authorization: Annotated[str, Header()],
    idempotency_key: Annotated[str, Header()],
) -> ReportAccepted:
    """Verify, validate, record the key, publish; 202 after the confirm."""
    try:
        principal = app.state.verifier.verify(authorization.removeprefix("Bearer "))
    except InvalidToken as exc:
        raise HTTPException(401) from exc
    report_id = derived_id("report", principal.user_id, idempotency_key)
    fingerprint = report.model_dump_json()
    if not await app.state.keys.set(f"bench:{report_id}", fingerprint, nx=True, ex=KEY_SECONDS):
        raise HTTPException(409)
    event = ReportSubmitted(
        event_id=derived_id("ReportSubmitted", report_id),
        report_id=report_id,
        point_id=report.point_id,
        grid_id="demo-zone-teaching",
        grid_path="/demo-county/demo-township/demo-school/demo-zone-teaching/",
        category=report.category,
        description=report.description,
        location=report.location,
        photo_ids=tuple(report.photo_ids),
        reporter=PersonRef(person_id=principal.user_id, name=principal.name),
        reporter_scope=principal.scope,
        submitted_at=report.submitted_at,
        received_at=utc_now(),
    )
    message = aio_pika.Message(
        event.to_bytes(),
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=event.event_id,
        content_type="application/cloudevents+json",
    )
    try:
        await app.state.exchange.publish(message, routing_key="bench.report", mandatory=True)
    except aio_pika.exceptions.DeliveryError as exc:
        raise HTTPException(503) from exc
    return ReportAccepted(report_id=report_id)
