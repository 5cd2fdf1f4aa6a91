"""Offline batches: up to 100 queued reports at once, each accepted or refused on its own."""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import ValidationError

from services.hazard_intake.places.cache import PlaceCache
from services.hazard_intake.reports import service
from services.hazard_intake.reports.ledger import KeyLedger
from services.hazard_intake.reports.models import (
    BatchAccepted,
    BatchItem,
    BatchItemResult,
    ReportCreate,
)
from shared.auth import Principal
from shared.clock import utc_now
from shared.errors import ApiError, ErrorBody, validation_details
from shared.events import ReportSubmitted
from shared.idempotency import fingerprint
from shared.ids import derived_id
from shared.messaging import Broker, PublishFailed


def _refused(index: int, key: str | None, error: ApiError) -> BatchItemResult:
    return BatchItemResult(
        index=index, idempotency_key=key, status=error.status_code, error=error.body
    )


def _invalid(index: int, key: str | None, exc: ValidationError) -> BatchItemResult:
    errors = [{**e, "loc": ("body", "reports", index, *e["loc"])} for e in exc.errors()]
    body = ErrorBody(
        code="validation_failed",
        message_zh="请求内容有误",
        message_en="The request is invalid",
        details=validation_details(errors),
    )
    return BatchItemResult(index=index, idempotency_key=key, status=422, error=body)


async def accept_batch(
    *,
    broker: Broker,
    places: PlaceCache,
    ledger: KeyLedger,
    principal: Principal,
    batch_key: str,
    batch_fingerprint: str,
    items: list[dict[str, Any]],
) -> BatchAccepted:
    """Check, key and publish every item; the batch's own key is checked first."""
    results: dict[int, BatchItemResult] = {}
    ready: list[tuple[int, BatchItem, ReportSubmitted, str]] = []
    for index, raw in enumerate(items):
        key = raw.get("idempotency_key") if isinstance(raw.get("idempotency_key"), str) else None
        try:
            item = BatchItem.model_validate(raw)
            report = ReportCreate.model_validate(item.model_dump(exclude={"idempotency_key"}))
            place = await service.resolve_place(places, principal, report)
        except ValidationError as exc:
            results[index] = _invalid(index, key, exc)
            continue
        except ApiError as exc:
            results[index] = _refused(index, key, exc)
            continue
        report_id = service.report_id_for(principal, item.idempotency_key)
        mine = fingerprint("POST", service.REPORT_PATH, report)
        event = service.build_event(principal, report_id, report, place, mine)
        ready.append((index, item, event, mine))

    now = utc_now().timestamp()
    batch_id = derived_id("report-batch", principal.user_id, batch_key)
    if not ledger.first_use_matches(batch_id, batch_fingerprint, now):
        raise service.key_reused()

    to_publish = []
    for index, item, event, mine in ready:
        if ledger.first_use_matches(event.report_id, mine, now):
            to_publish.append((index, item, event))
        else:
            results[index] = _refused(index, item.idempotency_key, service.key_reused())
    # Confirms are awaited together: the batch costs about one broker round trip.
    outcomes = await asyncio.gather(
        *(broker.publish(event) for _, _, event in to_publish), return_exceptions=True
    )
    for (index, item, event), outcome in zip(to_publish, outcomes, strict=True):
        if isinstance(outcome, PublishFailed):
            results[index] = _refused(index, item.idempotency_key, service.not_stored())
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            results[index] = BatchItemResult(
                index=index,
                idempotency_key=item.idempotency_key,
                status=202,
                report_id=event.report_id,
            )
    ordered = [results[index] for index in range(len(items))]
    accepted = sum(1 for result in ordered if result.status == 202)
    return BatchAccepted(accepted=accepted, rejected=len(ordered) - accepted, results=ordered)
