"""One real path through every service, driven over HTTP like a client.

registry (grid tree, person, risk point) → intake (report, 202 after the broker confirmed) →
hazard cases (hazard assigned to the registry's person) → notifications (in the person's inbox)
→ agency integration (signed webhook to a subscribed agency) → command centre (board and page).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from tests.support.client import ApiClient
from tests.support.platform import Platform
from tests.support.waiting import wait_until


class WebhookReceiver:
    """An agency's webhook endpoint on 127.0.0.1 that records what it receives."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


async def test_report_travels_through_every_service(
    platform: Platform, http: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    admin = await ApiClient.login(platform, http, "demo-admin")

    # The registry: a township, a school, a zone with its head, and a risk point in the zone.
    township = (
        await admin.post(
            "grid_registry",
            "/v1/grids",
            {"name": "东风镇", "level": "L2", "parent_id": "demo-county"},
        )
    ).json()
    school = (
        await admin.post(
            "grid_registry",
            "/v1/grids",
            {"name": "东风镇中心小学", "level": "L3", "parent_id": township["grid_id"]},
        )
    ).json()
    username = f"guard-{uuid.uuid4().hex[:8]}"
    guard = await admin.post(
        "grid_registry",
        "/v1/people",
        {
            "name": "刘保国",
            "grid_id": school["grid_id"],
            "post": "保安",
            "account": {"username": username, "password": "guard-password", "role": "teacher"},
        },
    )
    assert guard.status_code == 201, guard.text
    gate = await admin.post(
        "grid_registry",
        "/v1/grids",
        {
            "name": "校门",
            "level": "L4",
            "parent_id": school["grid_id"],
            "head_person_id": guard.json()["person_id"],
        },
    )
    assert gate.status_code == 201, gate.text
    point = await admin.post(
        "grid_registry",
        "/v1/risk-points",
        {
            "grid_id": gate.json()["grid_id"],
            "name": "校门口东侧围墙",
            "category": "campus_security",
            "risk_grade": "orange",
        },
    )
    assert point.status_code == 201, point.text
    point_id = point.json()["point_id"]
    assert point.json()["responsible"]["name"] == "刘保国"

    # An agency subscribed to campus security in the county, with its webhook.
    agency = await admin.post(
        "agency_integration",
        "/v1/agencies",
        {
            "name": "东风派出所",
            "kind": "police",
            "categories": ["campus_security"],
            "webhook_url": receiver.url,
        },
    )
    assert agency.status_code == 201, agency.text
    secret = agency.json()["webhook_secret"]

    # The guard scans the QR code: intake knows the point once the registry's event arrived.
    guard_client = await ApiClient.login(platform, http, username, "guard-password")

    async def intake_knows_point() -> bool:
        return (
            await guard_client.get("hazard_intake", f"/v1/points/{point_id}")
        ).status_code == 200

    await wait_until(intake_knows_point, timeout=60, what="intake to learn the point")

    report = {
        "point_id": point_id,
        "category": "campus_security",
        "description": "围墙有缺口，校外人员可翻入",
    }
    key = uuid.uuid4().hex
    first = await guard_client.post("hazard_intake", "/v1/reports", report, key=key)
    retry = await guard_client.post("hazard_intake", "/v1/reports", report, key=key)
    assert first.status_code == 202, first.text
    assert retry.status_code == 202
    hazard_id = first.json()["report_id"]
    assert retry.json()["report_id"] == hazard_id

    # Hazard cases: stored once, assigned to the person the registry names.
    async def hazard_assigned() -> dict[str, Any] | None:
        response = await admin.get("hazard_cases", f"/v1/hazards/{hazard_id}")
        return (
            response.json()
            if response.status_code == 200 and response.json()["status"] == "assigned"
            else None
        )

    hazard = await wait_until(hazard_assigned, timeout=60, what="the hazard to be assigned")
    assert hazard["assignee"]["name"] == "刘保国"
    assert hazard["school_name"] == "东风镇中心小学"
    assert [step["action"] for step in hazard["timeline"]] == ["reported", "assigned"]
    assert [p["name"] for p in hazard["escalation_chain"]] == [
        "李建国"
    ]  # school/township have no head

    # Notifications: in the guard's inbox, once.
    async def inbox() -> list[dict[str, Any]]:
        items = (await guard_client.get("notifications", "/v1/notifications")).json()["items"]
        return [n for n in items if n["hazard_id"] == hazard_id]

    notes = await wait_until(inbox, timeout=60, what="the notification")
    assert len(notes) == 1
    assert notes[0]["title_zh"] == "新隐患待整改：校门口东侧围墙"

    # Agency integration: a Standard Webhooks signed delivery.
    await wait_until(lambda: _received(receiver), timeout=60, what="the webhook")
    headers, body = receiver.received[0]
    payload = Webhook(secret).verify(body, headers)
    assert payload["type"] == "hazard.opened"
    assert payload["data"]["hazard_id"] == hazard_id
    assert headers["webhook-id"].startswith("msg_")

    # Command centre: the board lists it with its status, and the page is served.
    async def on_board() -> dict[str, Any] | None:
        rows = (await admin.get("command_centre", "/v1/board")).json()["rows"]
        return next(
            (r for r in rows if r["hazard_id"] == hazard_id and r["status"] == "assigned"), None
        )

    row = await wait_until(on_board, timeout=60, what="the board row")
    assert row["status_label_zh"] == "已分派"
    assert row["assignee"]["name"] == "刘保国"
    page = await http.get(platform.url("command_centre") + "/")
    assert page.status_code == 200
    assert "指挥中心" in page.text


async def _received(receiver: WebhookReceiver) -> bool:
    return bool(receiver.received)


async def test_every_service_reports_health_and_documents_its_api(
    platform: Platform, http: httpx.AsyncClient
) -> None:
    for name in platform.services:
        base = platform.url(name)
        assert (await http.get(f"{base}/healthz")).json() == {"status": "ok"}
        ready = await http.get(f"{base}/readyz")
        assert ready.status_code == 200, (name, ready.text)
        assert all(ready.json()["checks"].values())
        metrics = (await http.get(f"{base}/metrics")).text
        assert f"xiaoan_{name}_http_requests_total" in metrics
        spec = (await http.get(f"{base}/openapi.json")).json()
        assert spec["info"]["title"].startswith("Xiaoan")
        assert any(path.startswith("/v1/") for path in spec["paths"]), name


async def test_bad_report_is_refused_with_reasons_in_both_languages(
    platform: Platform, http: httpx.AsyncClient
) -> None:
    teacher = await ApiClient.login(platform, http, "demo-teacher")
    response = await teacher.post(
        "hazard_intake", "/v1/reports", {"point_id": "demo-point-fire-exit", "category": "lava"}
    )
    assert response.status_code == 422
    details = {d["field"]: d for d in response.json()["error"]["details"]}
    assert details["category"]["message_zh"].startswith("取值无效")
    assert details["description"]["message_zh"] == "缺少必填字段"
    assert details["description"]["message_en"] == "Field required"

    no_key = await http.post(
        platform.url("hazard_intake") + "/v1/reports",
        headers={**teacher.headers, "Content-Type": "application/json"},
        content=json.dumps(
            {"point_id": "demo-point-fire-exit", "category": "fire", "description": "灭火器过期"}
        ),
    )
    assert no_key.status_code == 400
    assert no_key.json()["error"]["code"] == "idempotency_key_missing"
