"""Sends due webhook deliveries, signed, with retries and back-off, to permitted targets only.

A target the policy refuses (`deliveries/targets.py`: a loopback, private or metadata address,
found by resolving the name at the moment of sending) fails the delivery for good with the
reason: retrying would only knock on the same internal door again.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import httpx
from pymongo.asynchronous.database import AsyncDatabase

from services.agency_integration.agencies import repository as agencies
from services.agency_integration.deliveries import repository, signing
from services.agency_integration.deliveries.sending import (
    ResolutionFailed,
    Resolver,
    post_pinned,
    resolve_system,
)
from services.agency_integration.deliveries.targets import TargetPolicy, TargetRefused
from shared.clock import utc_now
from shared.observability.metrics import ServiceMetrics

log = logging.getLogger(__name__)

Document = dict[str, Any]


class DeliveryWorker:
    """Claim due deliveries one at a time and POST them to their agency."""

    def __init__(
        self,
        db: AsyncDatabase[Document],
        client: httpx.AsyncClient,
        metrics: ServiceMetrics,
        *,
        retry_seconds: tuple[float, ...],
        poll_seconds: float,
        timeout_seconds: float,
        targets: TargetPolicy,
        resolve: Resolver = resolve_system,
    ) -> None:
        self.db = db
        self.client = client
        self.targets = targets
        self.resolve = resolve
        self.retry_seconds = retry_seconds
        self.poll_seconds = poll_seconds
        # The lease outlives one attempt, so a crashed attempt is retried, never run twice.
        self.lease = timedelta(seconds=timeout_seconds * 3)
        self.timeout = timeout_seconds
        self._sent = metrics.counter(
            "webhook_attempts_total", "Webhook delivery attempts by outcome", ["outcome"]
        )

    async def run(self) -> None:
        """Deliver until cancelled."""
        while True:
            try:
                worked = await self.deliver_one()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("webhook delivery loop failed; continuing")
                worked = False
            if not worked:
                await asyncio.sleep(self.poll_seconds)

    async def deliver_one(self) -> bool:
        """Attempt the next due delivery; False when nothing was due."""
        delivery = await repository.claim_due(self.db, utc_now(), self.lease)
        if delivery is None:
            return False
        agency = await agencies.get(self.db, delivery["agency_id"])
        if agency is None or not agency.get("webhook_url"):
            await repository.record_failure(self.db, delivery["_id"], "agency has no webhook", None)
            return True
        body = delivery["body"].encode()
        timestamp = int(utc_now().timestamp())
        headers = signing.headers(agency["webhook_secret"], delivery["_id"], timestamp, body)
        try:
            response = await post_pinned(
                self.client,
                agency["webhook_url"],
                content=body,
                headers=headers,
                timeout=self.timeout,
                policy=self.targets,
                resolve=self.resolve,
            )
            ok = 200 <= response.status_code < 300
            error = "" if ok else f"HTTP {response.status_code}"
        except TargetRefused as exc:
            await self._refuse(delivery, exc)
            return True
        except (httpx.HTTPError, ResolutionFailed, TimeoutError) as exc:
            ok, error = False, repr(exc)
        if ok:
            await repository.record_success(self.db, delivery["_id"], utc_now())
            self._sent.labels("delivered").inc()
            return True
        attempt = delivery.get("attempts", 0)
        next_at = (
            utc_now() + timedelta(seconds=self.retry_seconds[attempt])
            if attempt < len(self.retry_seconds)
            else None
        )
        await repository.record_failure(self.db, delivery["_id"], error, next_at)
        self._sent.labels("failed" if next_at is None else "retrying").inc()
        log.warning("webhook attempt failed", extra={"delivery": delivery["_id"], "error": error})
        return True

    async def _refuse(self, delivery: Document, refused: TargetRefused) -> None:
        """Fail a delivery whose target the policy refuses, for good, saying why."""
        reason = f"refused: {refused.message_en}"
        await repository.record_failure(self.db, delivery["_id"], reason, None)
        self._sent.labels("refused").inc()
        log.warning("webhook target refused", extra={"delivery": delivery["_id"], "error": reason})
