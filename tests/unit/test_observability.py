"""Each request carries a correlation id (given or made up) and is counted by its route."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from shared.observability.correlation import current_correlation_id
from shared.observability.http import ObservabilityMiddleware
from shared.observability.metrics import ServiceMetrics


def app_with(metrics: ServiceMetrics) -> httpx.AsyncClient:
    app = FastAPI()
    app.add_middleware(ObservabilityMiddleware, metrics=metrics)

    @app.get("/v1/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str | None]:
        return {"seen": current_correlation_id()}

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_given_correlation_id_is_used_and_echoed() -> None:
    async with app_with(ServiceMetrics("t")) as client:
        response = await client.get("/v1/things/1", headers={"X-Correlation-ID": "req-1"})
    assert response.json() == {"seen": "req-1"}
    assert response.headers["x-correlation-id"] == "req-1"


async def test_missing_correlation_id_is_made_up_and_returned() -> None:
    async with app_with(ServiceMetrics("t")) as client:
        response = await client.get("/v1/things/1")
    assert response.json()["seen"]
    assert response.headers["x-correlation-id"] == response.json()["seen"]


async def test_requests_are_counted_by_route_template_not_by_id() -> None:
    metrics = ServiceMetrics("svc")
    async with app_with(metrics) as client:
        for thing in ("a", "b", "c"):
            await client.get(f"/v1/things/{thing}")
    text = metrics.render().decode()
    assert (
        'xiaoan_svc_http_requests_total{method="GET",route="/v1/things/{thing_id}",status="200"} 3.0'
        in text
    )
