"""Offline batches: each queued report is accepted or refused on its own, and a burst from many
phones survives a broker restart with nothing lost or doubled."""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from tests.support.client import ApiClient
from tests.support.platform import Platform
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
PHONES = 10
REPORTS_PER_PHONE = 100
BATCH_SIZE = 20


def report(key: str, description: str, **place: str) -> dict[str, Any]:
    return {
        "idempotency_key": key,
        **(place or {"grid_id": "demo-zone-teaching"}),
        "category": "facilities",
        "description": description,
        "submitted_at": "2026-11-23T07:55:00+08:00",
    }


async def send_batch(phone: ApiClient, items: list[dict[str, Any]], key: str) -> httpx.Response:
    return await phone.post("hazard_intake", "/v1/reports/batch", {"reports": items}, key=key)


@pytest.fixture
async def teacher(platform: Platform, http: httpx.AsyncClient) -> ApiClient:
    return await ApiClient.login(platform, http, "demo-teacher")


async def test_each_item_of_a_batch_is_accepted_or_refused_on_its_own(
    teacher: ApiClient,
) -> None:
    tag = uuid.uuid4().hex[:8]
    items = [
        report(f"{tag}-ok-1", f"批量正常一{tag}"),
        {**report(f"{tag}-bad-category", "类别错误"), "category": "aliens"},
        report(f"{tag}-ok-2", f"批量正常二{tag}", point_id="demo-point-stairs"),
        report(f"{tag}-unknown-point", "点位不存在", point_id="no-such-point"),
        {"category": "fire", "description": "没有键", "grid_id": "demo-zone-teaching"},
    ]
    batch_key = uuid.uuid4().hex
    answer = await send_batch(teacher, items, batch_key)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [r["status"] for r in body["results"]] == [202, 422, 202, 422, 422]
    assert (body["accepted"], body["rejected"]) == (2, 3)
    fields = [[d["field"] for d in r["error"]["details"]] for r in body["results"] if r["error"]]
    assert fields == [["reports.1.category"], ["point_id"], ["reports.4.idempotency_key"]]
    assert all(
        d["message_zh"] for r in body["results"] if r["error"] for d in r["error"]["details"]
    )

    # The phone lost the answer and sends the same batch again: the same answer, no new reports.
    again = await send_batch(teacher, items, batch_key)
    assert again.json() == body
    # The same report sent alone with its key is recognised as the same report.
    single = {k: v for k, v in items[0].items() if k != "idempotency_key"}
    alone = await teacher.post(
        "hazard_intake", "/v1/reports", single, key=items[0]["idempotency_key"]
    )
    assert alone.status_code == 202
    assert alone.json()["report_id"] == body["results"][0]["report_id"]

    # A batch key reused for another batch, and an item key reused for another report: 422.
    other = await send_batch(teacher, items[:1], batch_key)
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    changed = [{**items[0], "description": "换了内容"}]
    reused = (await send_batch(teacher, changed, uuid.uuid4().hex)).json()["results"][0]
    assert (reused["status"], reused["error"]["code"]) == (422, "idempotency_key_reused")


async def test_a_batch_over_one_hundred_or_without_a_key_is_refused(teacher: ApiClient) -> None:
    items = [report(uuid.uuid4().hex, "太多") for _ in range(101)]
    too_many = await send_batch(teacher, items, uuid.uuid4().hex)
    assert too_many.status_code == 422
    assert too_many.json()["error"]["details"][0]["field"] == "reports"
    no_key = await teacher.http.post(
        f"{teacher.platform.url('hazard_intake')}/v1/reports/batch",
        json={"reports": items[:1]},
        headers=teacher.headers,
    )
    assert no_key.status_code == 400


def restart_broker() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("AMQP_URL", "MONGO_URL", "S3_ENDPOINT")}
    subprocess.run(
        [str(ROOT / "deploy/local/infra.sh"), "restart-broker", "--profile", "test"],
        env=env,
        check=True,
        capture_output=True,
    )


async def send_until_accepted(
    phone: ApiClient, queue: list[dict[str, Any]], delivered: set[str]
) -> int:
    """Send queued reports in batches, resending what was not accepted; return the attempts."""
    attempts = 0
    while queue:
        attempts += 1
        batch = queue[:BATCH_SIZE]
        try:
            answer = await send_batch(phone, batch, uuid.uuid4().hex)
        except httpx.HTTPError:
            await asyncio.sleep(0.5)
            continue
        if answer.status_code != 200:
            assert answer.status_code >= 500, answer.text
            await asyncio.sleep(0.5)
            continue
        results = answer.json()["results"]
        # 503: not stored; 409: an earlier attempt with the key still runs. Both: resend.
        assert {r["status"] for r in results} <= {202, 409, 503}, results
        accepted = {r["idempotency_key"] for r in results if r["status"] == 202}
        delivered |= {r["report_id"] for r in results if r["status"] == 202}
        queue = [item for item in queue if item["idempotency_key"] not in accepted]
        if len(accepted) < len(batch):
            await asyncio.sleep(0.5)
    return attempts


async def phone_burst(
    phone: ApiClient, tag: str, number: int, delivered: set[str], broker_down: asyncio.Event
) -> int:
    """Half the queue before the broker goes down, the other half while it is down."""
    queue = [
        report(f"{tag}-{number}-{n}", f"离线批量{tag}-{number}-{n}")
        for n in range(REPORTS_PER_PHONE)
    ]
    half = REPORTS_PER_PHONE // 2
    attempts = await send_until_accepted(phone, queue[:half], delivered)
    await broker_down.wait()
    return attempts + await send_until_accepted(phone, queue[half:], delivered)


async def watch_port_close(port: int, down: asyncio.Event) -> None:
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
        except OSError:
            down.set()
            return
        await asyncio.sleep(0.05)


async def test_a_thousand_queued_reports_survive_a_broker_restart(
    platform: Platform, teacher: ApiClient
) -> None:
    if not (ROOT / ".local/test/run/rabbitmq.pid").exists():
        pytest.skip("RabbitMQ is external here: this test restarts the broker it started")
    tag = uuid.uuid4().hex[:8]
    delivered: set[str] = set()
    broker_down = asyncio.Event()
    amqp_port = int(platform.infra.amqp_url.rsplit(":", 1)[1].split("/")[0])
    watcher = asyncio.create_task(watch_port_close(amqp_port, broker_down))
    phones = [
        asyncio.create_task(phone_burst(teacher, tag, number, delivered, broker_down))
        for number in range(PHONES)
    ]
    restart = asyncio.create_task(asyncio.to_thread(restart_broker))
    attempts = await asyncio.wait_for(asyncio.gather(*phones), timeout=240)
    await restart
    watcher.cancel()
    assert len(delivered) == PHONES * REPORTS_PER_PHONE
    assert sum(attempts) > PHONES * REPORTS_PER_PHONE // BATCH_SIZE, "the restart cost retries"

    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(platform.infra.mongo_url)
    hazards = mongo[platform.database("hazard_cases")]["hazards"]
    mine = {"description": {"$regex": f"^离线批量{tag}-"}}

    async def all_stored() -> bool:
        return await hazards.count_documents(mine) >= len(delivered)

    try:
        await wait_until(all_stored, timeout=180, what="every accepted report to be a hazard")
        await asyncio.sleep(2)  # redeliveries after the restart, if any, would land now
        stored = [doc["_id"] async for doc in hazards.find(mine, {"_id": 1})]
        assert len(stored) == len(set(stored)) == len(delivered)
        assert set(stored) == delivered
    finally:
        await mongo.close()
