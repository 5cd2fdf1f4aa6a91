"""Webhook targets in prod mode, on the real servers: a webhook aimed at this machine is refused
when the agency is registered (422 on `webhook_url`, in both languages) and, when only its host
name leads there, at delivery, recorded as a failed delivery with the reason and never retried;
an internal target on the deployment's allow-list is delivered to."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from services.agency_integration.deliveries.targets import classify
from shared.mongo import connect
from tests.e2e.prod_mode import broker_account, prod_env, vhost_of_its_own
from tests.support.client import ApiClient
from tests.support.platform import Platform
from tests.support.school import new_school, report
from tests.support.servers import InfraEnv
from tests.support.waiting import wait_until

# An internal address this deployment permits (the whole of 127.0.0.0/8 is this machine).
ALLOWED = "127.0.0.2"


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """A platform whose agency service runs in prod mode; the others run in test mode, for the
    demo county and its logins."""
    infra = InfraEnv.from_environment()
    with vhost_of_its_own(infra) as vhost, broker_account(infra, vhost) as amqp_url:
        running = Platform.create(infra, vhost, tmp_path_factory.mktemp("webhook-targets"))
        agency = running.services["agency_integration"]
        agency.env = prod_env(agency.env, amqp_url)
        agency.env["AGENCY_INTEGRATION_WEBHOOK_ALLOWED_TARGETS"] = json.dumps([f"{ALLOWED}/32"])
        try:
            asyncio.run(running.start())
            yield running
        finally:
            running.stop()


class Receiver:
    """A webhook endpoint that records what reaches it."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.received: list[bytes] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver.received.append(self.rfile.read(int(self.headers["content-length"])))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.port = int(self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.close()


def agency_body(webhook_url: str, category: str = "campus_security") -> dict[str, Any]:
    return {
        "name": "城关派出所",
        "kind": "police",
        "categories": [category],
        "webhook_url": webhook_url,
    }


@pytest.mark.parametrize(
    ("url", "code", "zh"),
    [
        ("http://127.0.0.1:{port}/hook", "webhook_target_loopback", "本机回环地址"),
        ("http://2130706433:{port}/hook", "webhook_target_loopback", "本机回环地址"),
        ("http://0x7f.1:{port}/hook", "webhook_target_loopback", "本机回环地址"),
        ("http://[::ffff:127.0.0.1]:{port}/hook", "webhook_target_loopback", "本机回环地址"),
        ("http://localhost.:{port}/hook", "webhook_target_loopback", "本机回环地址"),
        ("http://10.1.2.3/hook", "webhook_target_private", "内网地址"),
        ("http://169.254.169.254/latest/meta-data/", "webhook_target_metadata", "元数据"),
        ("http://metadata.google.internal/", "webhook_target_metadata", "元数据"),
        ("http://user:secret@example.com/hook", "webhook_userinfo", "用户名或密码"),
    ],
)
async def test_a_webhook_aimed_inside_is_refused_at_registration(
    admin: ApiClient, receiver: Receiver, url: str, code: str, zh: str
) -> None:
    response = await admin.post(
        "agency_integration", "/v1/agencies", agency_body(url.format(port=receiver.port))
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    (detail,) = error["details"]
    assert (detail["field"], detail["location"], detail["code"]) == ("webhook_url", "body", code)
    assert zh in detail["message_zh"]
    assert "not allowed" in detail["message_en"] or "must not" in detail["message_en"]


def _name_of_this_machine() -> str:
    """Return a host name that resolves only to this machine (or skip where none does)."""
    name = socket.gethostname()
    try:
        infos = socket.getaddrinfo(name, 80, type=socket.SOCK_STREAM)
    except OSError:
        pytest.skip(f"this machine's name {name!r} does not resolve")
    addresses = {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos}
    if any(classify(address) is None for address in addresses):
        pytest.skip(f"{name!r} resolves to a public address: {addresses}")
    return name


async def _deliveries(platform: Platform, agency_id: str) -> list[dict[str, Any]]:
    client = connect(platform.infra.mongo_url, app_name="tests")
    try:
        db = client[platform.database("agency_integration")]
        return [doc async for doc in db["deliveries"].find({"agency_id": agency_id})]
    finally:
        await client.close()


async def test_a_name_leading_inside_is_refused_at_delivery_and_not_retried(
    platform: Platform, admin: ApiClient, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    name = _name_of_this_machine()
    # Registration cannot tell what a name resolves to: the agency is registered...
    created = await admin.post(
        "agency_integration",
        "/v1/agencies",
        agency_body(f"http://{name}:{receiver.port}/hook"),
    )
    assert created.status_code == 201, created.text
    agency_id = created.json()["agency_id"]

    # ...and the first hazard it should hear of is not sent there.
    school = await new_school(admin, category="campus_security")
    teacher = await school.login(admin, school.keeper)
    hazard_id = await report(teacher, school, "校门口有校外人员聚集", category="campus_security")

    async def failed() -> dict[str, Any]:
        found = [d for d in await _deliveries(platform, agency_id) if d["status"] == "failed"]
        return found[0] if found else {}

    delivery = await wait_until(failed, timeout=60, what="the delivery to be refused")
    assert delivery["hazard_id"] == hazard_id
    assert delivery["attempts"] == 1
    assert delivery["last_error"].startswith(f"refused: The webhook target {name} (")
    assert "loopback address" in delivery["last_error"]
    # Failed for good (a failed delivery is never claimed again), and nothing was sent.
    assert receiver.received == []
    metrics = (await http.get(f"{platform.url('agency_integration')}/metrics")).text
    assert 'xiaoan_agency_integration_webhook_attempts_total{outcome="refused"} 1.0' in metrics


async def test_an_allow_listed_internal_target_is_delivered_to(
    platform: Platform, admin: ApiClient
) -> None:
    allowed = Receiver(ALLOWED)
    try:
        created = await admin.post(
            "agency_integration",
            "/v1/agencies",
            agency_body(f"http://{ALLOWED}:{allowed.port}/hook", category="traffic"),
        )
        assert created.status_code == 201, created.text
        school = await new_school(admin, category="traffic")
        teacher = await school.login(admin, school.keeper)
        hazard_id = await report(teacher, school, "校门口车辆乱停", category="traffic")

        async def delivered() -> bool:
            return any(hazard_id.encode() in body for body in allowed.received)

        await wait_until(delivered, timeout=60, what="the allow-listed webhook")
    finally:
        allowed.close()
