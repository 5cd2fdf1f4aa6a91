"""Offline batches: up to 100 queued reports at once, each accepted or refused on its own."""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import ValidationError

from services.hazard_intake.places.cache import Place, PlaceCache
from services.hazard_intake.reports import service
from services.hazard_intake.reports.models import (
    BatchAccepted,
    BatchItem,
    BatchItemResult,
    ReportCreate,
)
from shared.auth import Principal
from shared.errors import ApiError, ErrorBody, validation_details
from shared.idempotency import IdempotencyStore, Replayed
from shared.messaging import Broker


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
    keys: IdempotencyStore,
    broker: Broker,
    places: PlaceCache,
    principal: Principal,
    items: list[dict[str, Any]],
) -> BatchAccepted:
    """Check every item, then publish each once per its own Idempotency-Key, together."""
    results: dict[int, BatchItemResult] = {}
    ready: list[tuple[int, BatchItem, ReportCreate, Place]] = []
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
        ready.append((index, item, report, place))

    # Confirms are awaited together: the batch costs about one broker round trip.
    outcomes = await asyncio.gather(
        *(
            service.submit(
                keys=keys,
                broker=broker,
                principal=principal,
                key=item.idempotency_key,
                report=report,
                place=place,
            )
            for _, item, report, place in ready
        ),
        return_exceptions=True,
    )
    for (index, item, _, _), outcome in zip(ready, outcomes, strict=True):
        if isinstance(outcome, Replayed):
            status, body = outcome.status, outcome.body
        elif isinstance(outcome, ApiError):
            results[index] = _refused(index, item.idempotency_key, outcome)
            continue
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            status, body = outcome
        results[index] = BatchItemResult(
            index=index,
            idempotency_key=item.idempotency_key,
            status=status,
            report_id=body["report_id"],
        )
    ordered = [results[index] for index in range(len(items))]
    accepted = sum(1 for result in ordered if result.status == 202)
    return BatchAccepted(accepted=accepted, rejected=len(ordered) - accepted, results=ordered)
