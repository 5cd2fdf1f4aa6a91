"""`/healthz` (the process runs), `/readyz` (its dependencies answer) and `/metrics`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

ReadinessCheck = Callable[[], Awaitable[bool]]

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness: the process is up")
async def healthz() -> dict[str, str]:
    """Answer 200 while the process runs."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: MongoDB, RabbitMQ (and S3 where used) answer",
    responses={503: {"description": "A dependency does not answer"}},
)
async def readyz(request: Request) -> JSONResponse:
    """Answer 200 when every dependency check passes, else 503 naming the failing ones."""
    checks: dict[str, ReadinessCheck] = getattr(request.app.state, "readiness", {})
    if not checks:
        return JSONResponse({"status": "starting", "checks": {}}, status_code=503)
    names = list(checks)
    results = await asyncio.gather(
        *(asyncio.wait_for(checks[name](), 3.0) for name in names), return_exceptions=True
    )
    status = {name: result is True for name, result in zip(names, results, strict=True)}
    ready = all(status.values())
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": status},
        status_code=200 if ready else 503,
    )


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    """Expose the service's metrics in the Prometheus text format."""
    return Response(request.app.state.metrics.render(), media_type=CONTENT_TYPE_LATEST)
