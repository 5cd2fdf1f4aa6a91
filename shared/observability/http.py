"""ASGI middleware: the correlation id of each request, and request metrics by route."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.observability.correlation import (
    HTTP_HEADER,
    bind_correlation_id,
    current_correlation_id,
    reset_correlation_id,
)
from shared.observability.metrics import ServiceMetrics

_HEADER_BYTES = HTTP_HEADER.lower().encode()
_MAX_INCOMING_ID = 128


class ObservabilityMiddleware:
    """Bind a correlation id per request, echo it back, and count and time the request."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.requests = metrics.counter(
            "http_requests_total",
            "HTTP requests by route and status",
            ["method", "route", "status"],
        )
        self.latency = metrics.histogram(
            "http_request_duration_seconds", "HTTP request latency", ["method", "route"]
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI call."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope.get("headers", []):
            if name == _HEADER_BYTES:
                incoming = value.decode("latin-1")[:_MAX_INCOMING_ID] or None
                break
        token = bind_correlation_id(incoming)
        correlation_header = (current_correlation_id() or "").encode("latin-1")
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((_HEADER_BYTES, correlation_header))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "")
            self.requests.labels(method, template, str(status)).inc()
            self.latency.labels(method, template).observe(time.perf_counter() - started)
            reset_correlation_id(token)
