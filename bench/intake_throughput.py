"""Intake throughput against its reference: POST /v1/reports on the intake service (2 workers)
next to a bare FastAPI endpoint doing the same essential work (verify the token, validate the
report, record its key in the shared store, publish with confirm; bench/bare_intake.py), each
driven by 64 concurrent clients in the same run.

    make bench   (or: python -m bench.intake_throughput with the test servers' environment)

Only the front door is measured: the services that consume reports are paused (SIGSTOP) while
the load runs, for both endpoints alike, so that the two cores go to the door and its broker
and database. The two endpoints run in alternating pairs of rounds, each round on emptied
queues (a backlog left by the round before would make the broker slower for the next). The
speed of a shared 2-core machine drifts by a quarter within minutes, so intake is judged by
the median over the pairs of its share of the reference round next to it, and each endpoint's
median round is shown. Each round also reads from /proc the CPU one request cost the
endpoint's workers and the local RabbitMQ, FerretDB and Redis (bench/cpu.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

import tests.conftest  # noqa: F401  (reads the servers' environment file)
from bench import cpu
from bench.http_client import KeptAliveClient
from tests.support.platform import Platform, free_port
from tests.support.servers import InfraEnv, RabbitAdmin, unique_name
from tests.support.waiting import wait_until

CLIENTS = 64
WORKERS = 2
WARM_UP = 1_000
REQUESTS = 6_000
PAIRS = 5  # alternating reference and intake rounds judged together
TARGET_SHARE = 0.85
CONSUMERS = (
    "hazard_cases",
    "notifications",
    "agency_integration",
    "command_centre",
    "media_storage",
)
REPORT = {"point_id": "demo-point-fire-exit", "category": "fire", "description": "吞吐量基准测试"}
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Figure:
    """Throughput and latency of one endpoint."""

    name: str
    per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_ms: dict[str, float] = field(default_factory=dict)  # per request, by process


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def drive(name: str, url: str, headers: dict[str, str], count: int) -> Figure:
    """Send `count` reports over CLIENTS kept-alive connections, as fast as they are answered."""
    client = KeptAliveClient(url, headers, connections=CLIENTS)
    await client.open()
    body = json.dumps(REPORT, ensure_ascii=False).encode()
    latencies: list[float] = []
    errors = 0
    remaining = count

    async def one_client() -> None:
        nonlocal remaining, errors
        while remaining > 0:
            remaining -= 1
            extra = {"Idempotency-Key": uuid.uuid4().hex}
            started = time.perf_counter()
            status = await client.post("/v1/reports", body, extra)
            latencies.append((time.perf_counter() - started) * 1000)
            if status != 202:
                errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(CLIENTS)))
    elapsed = time.perf_counter() - started
    await client.close()
    return Figure(
        name, count / elapsed, percentile(latencies, 50), percentile(latencies, 99), errors
    )


def median_round(runs: list[Figure]) -> Figure:
    """Return the round with the median throughput."""
    return sorted(runs, key=lambda figure: figure.per_second)[len(runs) // 2]


@dataclass
class Result:
    """The rounds of one bench run, and intake's share of the reference pair by pair."""

    reference: Figure
    intake: Figure
    shares: list[float]  # intake / reference, one per alternating pair

    @property
    def share(self) -> float:
        return median(self.shares)


def median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def start_bare(infra: InfraEnv, vhost: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.bare_intake:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(WORKERS),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    env = {
        **os.environ,
        "AMQP_URL": infra.amqp_url_for(vhost),
        "REDIS_URL": infra.redis_url,
        "JWT_PUBLIC_KEY_FILE": infra.jwt_public_key_file,
    }
    with log.open("ab") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


async def answers(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=1) as http:
            return (await http.get(f"{url}/openapi.json")).status_code == 200
    except httpx.HTTPError:
        return False


async def log_in(platform: Platform) -> dict[str, str]:
    """Return the headers of the demo teacher, logged in at the registry."""
    async with httpx.AsyncClient(timeout=30) as http:
        login = await http.post(
            f"{platform.url('grid_registry')}/v1/auth/token",
            data={"username": "demo-teacher", "password": "demo-teacher"},
        )
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


async def knows_point(intake: str, auth: dict[str, str]) -> bool:
    """Return whether intake has learnt the demo point the reports name."""
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            answer = await http.get(f"{intake}/v1/points/demo-point-fire-exit", headers=auth)
    except httpx.HTTPError:
        return False
    return answer.status_code == 200


def pause(platform: Platform, sig: signal.Signals) -> None:
    for name in CONSUMERS:
        process = platform.services[name].process
        if process is not None and process.poll() is None:
            # One process each (no workers): stopping it stops its consumers.
            os.kill(process.pid, sig)


async def run() -> Result:
    infra = InfraEnv.from_environment()
    admin = RabbitAdmin(infra.management_url)
    vhost = unique_name("bench-intake")
    await admin.create_vhost(vhost)
    workdir = Path(tempfile.mkdtemp(prefix="xiaoan-bench-intake-"))
    platform = Platform.create(infra, vhost, workdir)
    platform.services["hazard_intake"].env["HAZARD_INTAKE_WORKERS"] = str(WORKERS)
    bare_url = f"http://127.0.0.1:{free_port()}"
    bare = start_bare(infra, vhost, int(bare_url.rsplit(":", 1)[1]), workdir / "bare.log")
    try:
        await platform.start()
        await wait_until(lambda: answers(bare_url), timeout=60, what="the bare endpoint")
        intake = platform.url("hazard_intake")
        auth = await log_in(platform)
        await wait_until(lambda: knows_point(intake, auth), timeout=60, what="intake's places")
        backlogs = ("bench.bare_intake", "hazard_cases.open_hazards")

        servers = cpu.server_pids(ROOT / ".local" / "test" / "run")

        async def measure(name: str, url: str, headers: dict[str, str]) -> Figure:
            await admin.purge_queue(vhost, backlogs[0])
            await admin.purge_queue(vhost, backlogs[1])
            app = bare if url == bare_url else platform.services["hazard_intake"].process
            assert app is not None
            sample = cpu.sampler({"workers": app.pid, **servers})
            before = sample()
            figure = await drive(name, url, headers, REQUESTS)
            figure.cpu_ms = cpu.per_request_ms(before, sample(), REQUESTS)
            return figure

        bare_name = f"bare token + validate + key + confirmed publish ({WORKERS} workers)"
        intake_name = f"intake POST /v1/reports ({WORKERS} workers)"
        pause(platform, signal.SIGSTOP)
        try:
            await drive("warm-up", bare_url, auth, WARM_UP)
            await drive("warm-up", intake, auth, WARM_UP)
            references, measured = [], []
            for _ in range(PAIRS):
                references.append(await measure(bare_name, bare_url, auth))
                measured.append(await measure(intake_name, intake, auth))
            shares = [
                m.per_second / r.per_second for r, m in zip(references, measured, strict=True)
            ]
        finally:
            pause(platform, signal.SIGCONT)
        return Result(median_round(references), median_round(measured), shares)
    finally:
        bare.send_signal(signal.SIGTERM)
        bare.wait(20)
        platform.stop()
        await admin.delete_vhost(vhost)
        await admin.close()


def table(result: Result) -> str:
    reference, measured = result.reference, result.intake
    figures = [reference, measured]
    share = result.share
    width = 44
    lines = [
        f"{'benchmark (' + str(CLIENTS) + ' clients, median round)':<{width}} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7}  limit"
    ]
    for figure in figures:
        if figure is reference:
            limit = "reference"
        else:
            verdict = "ok" if share >= TARGET_SHARE else "UNDER"
            limit = f"≥ {TARGET_SHARE:.0%} of reference: {share:.0%}  {verdict}"
            spread = f"{min(result.shares):.0%}–{max(result.shares):.0%}"
            limit += f" (median of {len(result.shares)} pairs, {spread})"
        lines.append(
            f"{figure.name:<{width}} {figure.per_second:>7.0f} {figure.p50_ms:>7.1f} {figure.p99_ms:>7.1f}  {limit}"
        )
        if figure.errors:
            lines.append(f"  {figure.errors} answers were not 202")
    lines.append("")
    lines.append("CPU per request (ms; steadier than req/s from run to run):")
    for figure in figures:
        parts = ", ".join(f"{name} {ms:.2f}" for name, ms in figure.cpu_ms.items())
        lines.append(f"  {figure.name.strip():<{width + 2}} {parts}; total {total_cpu(figure):.2f}")
    ratio = total_cpu(measured) / total_cpu(reference)
    lines.append(
        f"  intake costs {ratio:.2f}× the reference's CPU per request "
        f"(the {TARGET_SHARE:.0%} floor allows about {1 / TARGET_SHARE:.2f}×)"
    )
    return "\n".join(lines)


def total_cpu(figure: Figure) -> float:
    """Return the CPU milliseconds one request cost all measured processes together."""
    return sum(figure.cpu_ms.values()) or float("nan")


def main() -> None:
    print(table(asyncio.run(run())))


if __name__ == "__main__":
    main()
