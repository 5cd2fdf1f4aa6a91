"""Run every service as its own process, as in production, for end-to-end tests.

Each platform gets a fresh vhost and fresh databases on the real servers, free ports, and the
demo county. Services are started consumers first, registry last, so that the queues exist
before the registry announces the demo county.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx

from shared import keyvalue
from shared.idempotency import IdempotencyStore
from tests.support.servers import InfraEnv, RabbitAdmin, unique_name

ROOT = Path(__file__).resolve().parents[2]

# Every service and its env prefix, in start order (the registry, the producer of the
# reference data, last).
SERVICES = {
    "command_centre": "COMMAND_CENTRE_",
    "notifications": "NOTIFICATIONS_",
    "agency_integration": "AGENCY_INTEGRATION_",
    "hazard_cases": "HAZARD_CASES_",
    "hazard_intake": "HAZARD_INTAKE_",
    "media_storage": "MEDIA_STORAGE_",
    "grid_registry": "GRID_REGISTRY_",
}


def free_port() -> int:
    """Return a TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServiceProcess:
    """One service running as a child process."""

    name: str
    port: int
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Return the base URL of the service."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start the process (its output goes to its log file)."""
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", f"services.{self.name}.main"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    def kill(self) -> None:
        """End the process at once (SIGKILL): no shutdown, no acks, no flushing."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        """End the process gracefully, or kill it after a grace period."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()

    async def wait_ready(self, timeout: float = 60.0) -> None:  # noqa: ASYNC109
        """Wait until /readyz answers 200; fail with the log's tail if the process died."""
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=2) as client:
            while time.monotonic() < deadline:
                if self.process is not None and self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited early:\n{self.log_tail()}")
                try:
                    if (await client.get(f"{self.url}/readyz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready after {timeout}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        """Return the end of the service's log."""
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Platform:
    """All services, on one vhost and one set of databases."""

    infra: InfraEnv
    vhost: str
    workdir: Path
    services: dict[str, ServiceProcess] = field(default_factory=dict)

    @classmethod
    def create(cls, infra: InfraEnv, vhost: str, workdir: Path) -> Platform:
        """Prepare (not start) every service with fresh databases and free ports."""
        platform = cls(infra, vhost, workdir)
        ports = {name: free_port() for name in SERVICES}
        db_prefix = unique_name("e2e").replace("-", "_")
        common = {
            **{k: v for k, v in os.environ.items() if not k.startswith("XIAOAN_")},
            "XIAOAN_ENV": "test",
            "XIAOAN_LOG_LEVEL": "INFO",
            "MONGO_URL": infra.mongo_url,
            "REDIS_URL": infra.redis_url,
            "AMQP_URL": infra.amqp_url_for(vhost),
            "S3_ENDPOINT": infra.s3_endpoint,
            "S3_ACCESS_KEY": infra.s3_access_key,
            "S3_SECRET_KEY": infra.s3_secret_key,
            "JWT_PUBLIC_KEY_FILE": infra.jwt_public_key_file,
            "XIAOAN_RETRY_DELAYS_MS": json.dumps([200, 1000, 3000]),
            "XIAOAN_CORS_ORIGINS": json.dumps(
                [f"http://127.0.0.1:{ports[name]}" for name in ("command_centre", "hazard_intake")]
            ),
            # The phone page (served by intake) and the QR codes it opens.
            "HAZARD_INTAKE_REGISTRY_PUBLIC_URL": f"http://127.0.0.1:{ports['grid_registry']}",
            "HAZARD_INTAKE_MEDIA_PUBLIC_URL": f"http://127.0.0.1:{ports['media_storage']}",
            # Bursts of a thousand reports from one demo login are the tests' own doing; the
            # throttles themselves are tested on a platform with the defaults
            # (tests/e2e/test_throttling.py).
            "HAZARD_INTAKE_REPORTS_PER_USER": "100000/minute",
            "HAZARD_INTAKE_CHECKINS_PER_USER": "100000/minute",
            "GRID_REGISTRY_QR_BASE_URL": f"http://127.0.0.1:{ports['hazard_intake']}/q",
            # The command centre's page opens a hazard and its photos from these.
            "COMMAND_CENTRE_CASES_PUBLIC_URL": f"http://127.0.0.1:{ports['hazard_cases']}",
            "COMMAND_CENTRE_MEDIA_PUBLIC_URL": f"http://127.0.0.1:{ports['media_storage']}",
            # Many tests report on the demo points: each report opens its own hazard unless a
            # test sets a window in a grid's deadline policy.
            "HAZARD_CASES_DUPLICATE_WINDOW_HOURS": "0",
            "GRID_REGISTRY_DEMO_DATA": "true",
            "AGENCY_INTEGRATION_DEMO_DATA": "true",
            "AGENCY_INTEGRATION_WEBHOOK_RETRY_SECONDS": json.dumps([0.5, 1, 2]),
            "COMMAND_CENTRE_TOKEN_URL": f"http://127.0.0.1:{ports['grid_registry']}/v1/auth/token",
            "PYTHONUNBUFFERED": "1",
        }
        for name, prefix in SERVICES.items():
            env = {
                **common,
                f"{prefix}PORT": str(ports[name]),
                f"{prefix}MONGO_DB": f"{db_prefix}_{name}",
                f"{prefix}BUCKET": unique_name("e2e-media") if name == "media_storage" else "",
                # Deadlines and escalation run on a clock the tests can move (tokens do not).
                "XIAOAN_CLOCK_OFFSET_FILE": (
                    str(platform.clock_file) if name == "hazard_cases" else ""
                ),
                # Only the registry signs tokens; the others verify with the public key.
                "JWT_PRIVATE_KEY_FILE": (
                    infra.jwt_private_key_file if name == "grid_registry" else ""
                ),
            }
            env = {k: v for k, v in env.items() if v != ""}
            platform.services[name] = ServiceProcess(
                name, ports[name], env, workdir / f"{name}.log"
            )
        return platform

    @property
    def clock_file(self) -> Path:
        """The file holding how far the case service's clock is moved ahead, in seconds."""
        return self.workdir / "clock-offset-seconds"

    def move_clock(self, ahead: timedelta) -> None:
        """Move the case service's clock (every replica) to `ahead` of real time."""
        self.clock_file.write_text(str(ahead.total_seconds()))

    def url(self, name: str) -> str:
        """Return the base URL of service `name`."""
        return self.services[name].url

    async def start(self) -> None:
        """Start every service, consumers first, and wait until each is ready."""
        consumers = [s for n, s in self.services.items() if n != "grid_registry"]
        for service in consumers:
            service.start()
        await asyncio.gather(*(s.wait_ready() for s in consumers))
        registry = self.services["grid_registry"]
        registry.start()
        await registry.wait_ready()

    async def restart(self, name: str) -> None:
        """Start a stopped or killed service again and wait until it is ready."""
        service = self.services[name]
        service.start()
        await service.wait_ready()

    def stop(self) -> None:
        """Stop every service."""
        for service in reversed(list(self.services.values())):
            service.stop()

    def database(self, name: str) -> str:
        """Return the database name of service `name`."""
        prefix = SERVICES[name]
        return self.services[name].env[f"{prefix}MONGO_DB"]

    async def forget_idempotency_key(self, name: str, owner: str, key: str) -> None:
        """Delete the answer service `name` keeps for `owner`'s `key`, as its expiry would."""
        client = keyvalue.connect(self.infra.redis_url)
        # The prefix a service's settings give its keys (CommonSettings.key_prefix).
        store = IdempotencyStore(
            client, prefix=f"xiaoan:{self.database(name)}:", retention_seconds=1
        )
        try:
            assert await client.delete(store.record_name(owner, key)) == 1, f"no answer for {key}"
        finally:
            await client.aclose()


async def _vhost(infra: InfraEnv, name: str, create: bool) -> None:
    admin = RabbitAdmin(infra.management_url)
    try:
        await (admin.create_vhost(name) if create else admin.delete_vhost(name))
    finally:
        await admin.close()


@contextmanager
def running_platform(workdir: Path, env: dict[str, str] | None = None) -> Iterator[Platform]:
    """Start every service (with `env` added) on a fresh vhost and fresh databases; stop them
    afterwards."""
    infra = InfraEnv.from_environment()
    vhost = unique_name("e2e")
    asyncio.run(_vhost(infra, vhost, create=True))
    running = Platform.create(infra, vhost, workdir)
    for service in running.services.values():
        service.env.update(env or {})
    try:
        asyncio.run(running.start())
        yield running
    finally:
        running.stop()
        asyncio.run(_vhost(infra, vhost, create=False))
