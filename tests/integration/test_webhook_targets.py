"""Webhook deliveries on the real database: the target is resolved once, every address is
checked, and the request goes to the checked address with the name kept for Host and TLS.

The resolver is the one thing replaced (a test cannot make public DNS answer a private
address); the deliveries, the database and the receivers are real.
"""

from __future__ import annotations

import ipaddress
import ssl
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pymongo.asynchronous.database import AsyncDatabase

from services.agency_integration.agencies.service import new_webhook_secret
from services.agency_integration.deliveries import repository
from services.agency_integration.deliveries.sending import Resolver as ResolveFn
from services.agency_integration.deliveries.sending import resolve_system
from services.agency_integration.deliveries.service import enqueue_for_hazards
from services.agency_integration.deliveries.targets import IPAddress, TargetPolicy
from services.agency_integration.deliveries.worker import DeliveryWorker
from shared.events import HazardOpened, PersonRef
from shared.observability.metrics import ServiceMetrics

PROD = TargetPolicy()
DEV = TargetPolicy(allow_loopback=True)
NAME = "hooks.agency.test"


class Receiver:
    """A webhook endpoint on 127.0.0.1 (plain or TLS) recording each request's Host and SNI."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.hosts: list[str] = []
        self.sni: list[str | None] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", 0)))
                receiver.hosts.append(self.headers.get("host", ""))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            tls.sni_callback = lambda sock, name, ctx: self.sni.append(name)
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.close()


def opened(hazard_id: str) -> HazardOpened:
    return HazardOpened(
        hazard_id=hazard_id,
        report_id=hazard_id,
        point_id=None,
        point_name="校门口",
        grid_id="g",
        grid_path="/c/s/g/",
        school_name="城关镇第一小学",
        category="campus_security",
        risk_grade=None,
        description="校门口有校外人员聚集",
        reporter=PersonRef(person_id="t1", name="王芳"),
        status="reported",
        reported_at="2026-11-23T08:00:00Z",
        version=1,
    )


async def queue_delivery(db: AsyncDatabase[dict[str, Any]], webhook_url: str) -> str:
    """Register an agency with `webhook_url` (straight in its collection) and queue a hazard."""
    await db["agencies"].insert_one(
        {
            "_id": "police",
            "name": "城关派出所",
            "kind": "police",
            "categories": ["campus_security"],
            "webhook_url": webhook_url,
            "webhook_secret": new_webhook_secret(),
            "area_path": "/c/",
            "created_at": datetime.now(UTC),
        }
    )
    assert await enqueue_for_hazards(db, [opened("h1")]) == 1
    doc = await db[repository.COLLECTION].find_one({"agency_id": "police"})
    assert doc is not None
    return str(doc["_id"])


class Resolver:
    """Answers from a table and counts the questions (a rebinding server would answer anew)."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[IPAddress]:
        self.asked.append(host)
        return [ipaddress.ip_address(a) for a in self.answers[host]]


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(follow_redirects=False) as plain:
        yield plain


def worker(
    db: AsyncDatabase[dict[str, Any]],
    client: httpx.AsyncClient,
    policy: TargetPolicy,
    resolve: ResolveFn,
) -> DeliveryWorker:
    return DeliveryWorker(
        db,
        client,
        ServiceMetrics("tests"),
        retry_seconds=(0.0, 0.0),
        poll_seconds=0.05,
        timeout_seconds=5,
        targets=policy,
        resolve=resolve,
    )


async def delivery(db: AsyncDatabase[dict[str, Any]], delivery_id: str) -> dict[str, Any]:
    doc = await db[repository.COLLECTION].find_one({"_id": delivery_id})
    assert doc is not None
    return doc


@pytest.mark.parametrize(
    ("answers", "refused"),
    [
        (["10.0.0.7"], "10.0.0.7"),
        (["8.8.8.8", "192.168.1.20"], "192.168.1.20"),
        (["::ffff:127.0.0.1"], "::ffff:7f00:1"),
        (["127.0.0.1"], "127.0.0.1"),
        (["169.254.169.254"], "169.254.169.254"),
    ],
)
async def test_a_name_resolving_to_an_internal_address_fails_for_good(
    db: AsyncDatabase[dict[str, Any]],
    client: httpx.AsyncClient,
    receiver: Receiver,
    answers: list[str],
    refused: str,
) -> None:
    delivery_id = await queue_delivery(db, f"http://{NAME}:{receiver.port}/hook")
    sender = worker(db, client, PROD, Resolver({NAME: answers}))

    assert await sender.deliver_one()
    failed = await delivery(db, delivery_id)
    assert failed["status"] == repository.FAILED
    assert failed["attempts"] == 1
    assert failed["last_error"].startswith("refused: The webhook target ")
    assert f"{NAME} ({refused})" in failed["last_error"]
    # Never retried, and nothing reached the receiver (127.0.0.1 answered nobody).
    assert not await sender.deliver_one()
    assert receiver.hosts == []


async def test_a_url_refused_since_registration_fails_without_resolving(
    db: AsyncDatabase[dict[str, Any]], client: httpx.AsyncClient, receiver: Receiver
) -> None:
    # Stored before the check existed, or registered in a mode that allowed it.
    delivery_id = await queue_delivery(db, f"http://0x7f.1:{receiver.port}/hook")
    resolve = Resolver({})
    assert await worker(db, client, PROD, resolve).deliver_one()
    failed = await delivery(db, delivery_id)
    assert (failed["status"], resolve.asked, receiver.hosts) == (repository.FAILED, [], [])
    assert "loopback" in failed["last_error"]


async def test_the_request_goes_to_the_checked_address_with_the_name_as_host(
    db: AsyncDatabase[dict[str, Any]], client: httpx.AsyncClient, receiver: Receiver
) -> None:
    # `.invalid` never resolves (RFC 6761): had httpx resolved the name again itself, the
    # attempt would fail; it reaches the receiver because it was sent to the checked address.
    name = "rebinding.invalid"
    delivery_id = await queue_delivery(db, f"http://{name}:{receiver.port}/hook")
    resolve = Resolver({name: ["127.0.0.1"]})
    assert await worker(db, client, DEV, resolve).deliver_one()
    assert (await delivery(db, delivery_id))["status"] == repository.DELIVERED
    assert resolve.asked == [name]  # resolved once, for the check and the connection both
    assert receiver.hosts == [f"{name}:{receiver.port}"]


async def test_an_unresolvable_name_is_retried_like_any_failed_attempt(
    db: AsyncDatabase[dict[str, Any]], client: httpx.AsyncClient
) -> None:
    delivery_id = await queue_delivery(db, "http://nowhere.invalid/hook")
    assert await worker(db, client, PROD, resolve_system).deliver_one()
    pending = await delivery(db, delivery_id)
    assert (pending["status"], pending["attempts"]) == (repository.PENDING, 1)
    assert "cannot resolve nowhere.invalid" in pending["last_error"]


# TLS: the connection is made to 127.0.0.1, the certificate is checked against the name.


def _certificates(tmp_path: Path) -> tuple[Path, Path, Path, Path]:
    """Write a CA and two server certificates: one for NAME, one for another name."""
    now = datetime.now(UTC)

    def build(subject: str, key: Any, issuer: x509.Name, signer: Any, ca: bool) -> Any:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False
            )
        return builder.sign(signer, hashes.SHA256())

    def pem(cert: Any) -> bytes:
        return bytes(cert.public_bytes(serialization.Encoding.PEM))

    def key_pem(key: Any) -> bytes:
        return bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Xiaoan test CA")])
    ca_cert = build("Xiaoan test CA", ca_key, ca_name, ca_key, ca=True)
    paths = []
    for subject in (NAME, "someone-else.test"):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = build(subject, key, ca_name, ca_key, ca=False)
        path = tmp_path / f"{subject}.pem"
        path.write_bytes(pem(cert) + key_pem(key))
        paths.append(path)
    ca_path = tmp_path / "ca.pem"
    ca_path.write_bytes(pem(ca_cert))
    return ca_path, paths[0], paths[1], tmp_path


def _server_context(chain: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain)
    return context


async def test_https_sends_the_name_as_sni_and_verifies_the_certificate_against_it(
    db: AsyncDatabase[dict[str, Any]], tmp_path: Path
) -> None:
    ca, ours, _, _ = _certificates(tmp_path)
    receiver = Receiver(_server_context(ours))
    try:
        async with httpx.AsyncClient(verify=ssl.create_default_context(cafile=ca)) as client:
            delivery_id = await queue_delivery(db, f"https://{NAME}:{receiver.port}/hook")
            sender = worker(db, client, DEV, Resolver({NAME: ["127.0.0.1"]}))
            assert await sender.deliver_one()
        done = await delivery(db, delivery_id)
        assert done["status"] == repository.DELIVERED, done.get("last_error")
        assert receiver.sni == [NAME]
        assert receiver.hosts == [f"{NAME}:{receiver.port}"]
    finally:
        receiver.close()


async def test_https_to_a_server_with_another_name_fails_verification(
    db: AsyncDatabase[dict[str, Any]], tmp_path: Path
) -> None:
    ca, _, theirs, _ = _certificates(tmp_path)
    receiver = Receiver(_server_context(theirs))
    try:
        async with httpx.AsyncClient(verify=ssl.create_default_context(cafile=ca)) as client:
            delivery_id = await queue_delivery(db, f"https://{NAME}:{receiver.port}/hook")
            sender = worker(db, client, DEV, Resolver({NAME: ["127.0.0.1"]}))
            assert await sender.deliver_one()
        pending = await delivery(db, delivery_id)
        assert pending["status"] == repository.PENDING
        assert "CERTIFICATE_VERIFY_FAILED" in pending["last_error"]
        assert receiver.hosts == []
    finally:
        receiver.close()
