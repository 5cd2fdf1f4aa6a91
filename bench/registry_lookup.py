"""Responsible-person lookups on a Wuzhou-scale synthetic city, next to a bare find_one.

    python -m bench.registry_lookup        (part of `make bench`)

The city (~1,300 schools, ~15,000 people, tens of thousands of risk points) is generated once
into its own database on the test-profile FerretDB and kept for later runs. Each figure is
measured open-loop at a fixed arrival rate (1,000/s, the issue's load), so a slow answer cannot
slow the arrivals down and hide itself: latency counts from when the request was due.
"""

from __future__ import annotations

import asyncio
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from pymongo import AsyncMongoClient

from bench.http_client import KeptAliveClient
from services.grid_registry.auth.passwords import hash_password
from services.grid_registry.responsibility import service as responsibility
from services.grid_registry.responsibility.cache import PlaceCache
from tests.support.platform import Platform
from tests.support.servers import InfraEnv, RabbitAdmin, unique_name

DB_NAME = "bench_registry_wuzhou"
SEED = "1"
RATE = 1_000  # lookups per second
SECONDS = 5.0
SAMPLE = 5_000
HTTP_WORKERS = 2


@dataclass
class Figure:
    """What one open-loop run measured."""

    name: str
    achieved_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int


def percentile(values: list[float], q: float) -> float:
    """Return the q-th percentile (0-100) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def open_loop(name: str, call: Callable[[str], Awaitable[object]], ids: list[str]) -> Figure:
    """Start `call` RATE times a second for SECONDS, each on the next id; measure from due time."""
    latencies: list[float] = []
    errors = 0
    tasks: list[asyncio.Task[None]] = []
    started = time.perf_counter()
    total = int(RATE * SECONDS)

    async def one(point_id: str, due: float) -> None:
        nonlocal errors
        try:
            await call(point_id)
        except Exception:
            errors += 1
        latencies.append((time.perf_counter() - due) * 1000)

    for n in range(total):
        due = started + n / RATE
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(ids[n % len(ids)], due)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    return Figure(
        name, total / elapsed, percentile(latencies, 50), percentile(latencies, 99), errors
    )


async def ensure_city(mongo_url: str, db: Any) -> None:
    """Generate the city unless this database already holds it (generating takes minutes)."""
    if await db.risk_points.estimated_document_count() > 0:
        return
    generator = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.grid_registry.demo.city",
        "--mongo-url",
        mongo_url,
        "--db",
        DB_NAME,
        "--seed",
        SEED,
        "--scale",
        "wuzhou",
    )
    if await generator.wait() != 0:
        raise RuntimeError("the city generator failed")


async def run() -> list[Figure]:
    """Measure and return the figures."""
    mongo_url = os.environ["MONGO_URL"]
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url, tz_aware=True)
    db = client[DB_NAME]
    await ensure_city(mongo_url, db)
    ids = [doc["_id"] async for doc in db.risk_points.find({}, {"_id": 1})]
    random.Random(7).shuffle(ids)
    ids = ids[:SAMPLE]
    at = datetime(2026, 11, 23, 1, 40, tzinfo=UTC)  # a Monday, 09:40 in China: recess

    async def bare(point_id: str) -> object:
        return await db.risk_points.find_one({"_id": point_id})

    cache = PlaceCache(db)  # as the registry runs it: loaded at start-up
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    warm_started = time.perf_counter()
    await cache.warm()
    warm_seconds = time.perf_counter() - warm_started
    warm_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024

    async def lookup(point_id: str) -> object:
        found = await responsibility.lookup_point(cache, point_id, at)
        assert found is not None
        return found.resolution

    print(f"cache loaded {len(ids)} sampled of the city in {warm_seconds:.1f} s, +{warm_mb:.0f} MB")
    await open_loop("warm-up", lookup, ids[:500])
    figures = [
        await open_loop("bare find_one (same collection)", bare, ids),
        await open_loop("responsible person + chain at a moment", lookup, ids),
    ]
    await ensure_login(db)
    await client.close()
    figures.append(await over_http(ids))
    return figures


BENCH_LOGIN = "bench-operator"


async def ensure_login(db: Any) -> None:
    """Give the benchmark a county-operator login scoped to the city's root grid."""
    root = await db.grids.find_one({"level": "L1"}, {"_id": 1})
    await db.people.replace_one(
        {"_id": "bench-p-operator"},
        {
            "_id": "bench-p-operator",
            "name": "基准测试",
            "grid_id": root["_id"],
            "post": "操作员",
            "phone": None,
            "username": BENCH_LOGIN,
            "created_at": datetime.now(UTC),
        },
        upsert=True,
    )
    await db.accounts.replace_one(
        {"_id": BENCH_LOGIN},
        {
            "_id": BENCH_LOGIN,
            "person_id": "bench-p-operator",
            "password_hash": hash_password(BENCH_LOGIN),
            "roles": ["county_operator"],
            "created_at": datetime.now(UTC),
        },
        upsert=True,
    )


async def over_http(ids: list[str]) -> Figure:
    """Measure GET /v1/responsibility on a registry process serving the city."""
    infra = InfraEnv.from_environment()
    admin = RabbitAdmin(infra.management_url)
    vhost = unique_name("bench-registry")
    await admin.create_vhost(vhost)
    platform = Platform.create(infra, vhost, Path(tempfile.mkdtemp(prefix="xiaoan-bench-")))
    registry = platform.services["grid_registry"]
    registry.env["GRID_REGISTRY_MONGO_DB"] = DB_NAME
    registry.env["GRID_REGISTRY_DEMO_DATA"] = "false"
    registry.env["GRID_REGISTRY_WORKERS"] = str(HTTP_WORKERS)
    registry.start()
    try:
        await registry.wait_ready(timeout=180)
        async with httpx.AsyncClient(base_url=registry.url, timeout=30) as http:
            login = await http.post(
                "/v1/auth/token", data={"username": BENCH_LOGIN, "password": BENCH_LOGIN}
            )
        client = KeptAliveClient(
            registry.url, {"Authorization": f"Bearer {login.json()['access_token']}"}
        )
        await client.open()

        async def get(point_id: str) -> object:
            status = await client.get(f"/v1/responsibility?point_id={point_id}")
            if status != 200:
                raise RuntimeError(f"HTTP {status}")
            return status

        try:
            await open_loop("warm-up", get, ids[:500])
            return await open_loop(
                f"GET /v1/responsibility (HTTP, {HTTP_WORKERS} workers)", get, ids
            )
        finally:
            await client.close()
    finally:
        registry.stop()
        await admin.delete_vhost(vhost)
        await admin.close()


def table(figures: list[Figure]) -> str:
    """Render the figures next to their limit."""
    bare = figures[0]
    lines = [
        f"{'benchmark (' + str(RATE) + '/s offered, ' + str(int(SECONDS)) + ' s)':<48} {'done/s':>8} {'p50 ms':>8} {'p99 ms':>8}  limit",
    ]
    for figure in figures:
        limit = "reference" if figure is bare else f"p99 < 5 ms (bare p99 {bare.p99_ms:.1f} ms)"
        verdict = "" if figure is bare else ("  ok" if figure.p99_ms < 5 else "  OVER")
        lines.append(
            f"{figure.name:<48} {figure.achieved_per_s:>8.0f} {figure.p50_ms:>8.2f} {figure.p99_ms:>8.2f}  {limit}{verdict}"
        )
    for figure in figures:
        if figure.errors:
            lines.append(f"errors in {figure.name}: {figure.errors}")
    return "\n".join(lines)


if __name__ == "__main__":
    import tests.conftest  # noqa: F401  (reads the servers' environment file)

    print(table(asyncio.run(run())))
