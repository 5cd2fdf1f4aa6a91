"""The shared key-value store on the real Redis: Idempotency-Key answers, throttles, lockouts.

Two clients stand for two replicas of a service: what one claims or counts, the other sees.
"""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from shared import idempotency, keyvalue
from shared.errors import ApiError
from shared.idempotency import IdempotencyStore, fingerprint
from shared.throttle import Limiters, Throttle
from tests.support.servers import InfraEnv

SAME = fingerprint("POST", "/v1/grids", {"name": "教学楼"})
OTHER = fingerprint("POST", "/v1/grids", {"name": "食堂"})


def _store(client: Redis, prefix: str, retention_seconds: int = 3600) -> IdempotencyStore:
    return IdempotencyStore(client, prefix=prefix, retention_seconds=retention_seconds)


async def test_a_keyed_write_runs_once_and_replays_its_first_status(
    kv: Redis, kv_prefix: str
) -> None:
    store = _store(kv, kv_prefix)
    runs: list[int] = []

    async def write() -> tuple[int, dict]:
        runs.append(1)
        await asyncio.sleep(0.05)
        return 201, {"grid_id": "g-1"}

    answers = await asyncio.gather(
        *(store.run(owner="u", key="k", request_fingerprint=SAME, write=write) for _ in range(5)),
        return_exceptions=True,
    )
    busy = [a for a in answers if isinstance(a, ApiError)]
    assert runs == [1]
    assert all(a.status_code == 409 for a in busy)  # concurrent duplicates: retry shortly
    assert len(busy) == 4
    replay = await store.run(owner="u", key="k", request_fingerprint=SAME, write=write)
    assert replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.body == b'{"grid_id":"g-1"}'
    assert runs == [1]

    with pytest.raises(ApiError) as reused:
        await store.run(owner="u", key="k", request_fingerprint=OTHER, write=write)
    assert reused.value.status_code == 422
    # Keys belong to their owner: another user may use the same key.
    mine = await store.run(owner="v", key="k", request_fingerprint=OTHER, write=write)
    assert mine.status_code == 201
    assert "idempotent-replayed" not in mine.headers
    assert runs == [1, 1]


async def test_a_second_replica_replays_and_refuses_alike(
    infra: InfraEnv, kv: Redis, kv_prefix: str
) -> None:
    other_replica = keyvalue.connect(infra.redis_url)
    try:
        first, second = _store(kv, kv_prefix), _store(other_replica, kv_prefix)

        async def accepted() -> tuple[int, dict]:
            return 202, {"report_id": "r-1"}

        await first.run(owner="u", key="k", request_fingerprint=SAME, write=accepted)
        replay = await second.run(owner="u", key="k", request_fingerprint=SAME, write=accepted)
        assert (replay.status_code, replay.headers["idempotent-replayed"]) == (202, "true")
        with pytest.raises(ApiError) as reused:
            await second.run(owner="u", key="k", request_fingerprint=OTHER, write=accepted)
        assert reused.value.body.code == "idempotency_key_reused"
    finally:
        await other_replica.aclose()


async def test_a_failed_write_frees_the_key_for_a_retry(kv: Redis, kv_prefix: str) -> None:
    store = _store(kv, kv_prefix)

    async def fails() -> tuple[int, dict]:
        raise RuntimeError("broker down")

    async def works() -> tuple[int, dict]:
        return 201, {"ok": True}

    with pytest.raises(RuntimeError):
        await store.run(owner="u", key="k", request_fingerprint=SAME, write=fails)
    assert (
        await store.run(owner="u", key="k", request_fingerprint=SAME, write=works)
    ).status_code == 201


async def test_a_long_write_keeps_its_claim_and_answers_expire(
    kv: Redis, kv_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(idempotency, "CLAIM_SECONDS", 1)
    monkeypatch.setattr(idempotency, "RENEW_SECONDS", 0.3)
    store = _store(kv, kv_prefix, retention_seconds=2)
    runs: list[int] = []

    async def slow() -> tuple[int, dict]:
        runs.append(1)
        await asyncio.sleep(2.5)  # longer than a claim lives unrenewed
        return 201, {"ok": True}

    first = asyncio.create_task(store.run(owner="u", key="k", request_fingerprint=SAME, write=slow))
    await asyncio.sleep(1.8)
    with pytest.raises(ApiError) as busy:
        await store.run(owner="u", key="k", request_fingerprint=SAME, write=slow)
    assert busy.value.body.code == "idempotency_key_in_progress"
    assert (await first).status_code == 201
    assert runs == [1]

    await asyncio.sleep(2.2)  # the answer's retention passes: the key is new again

    async def quick() -> tuple[int, dict]:
        runs.append(1)
        return 201, {"ok": True}

    again = await store.run(owner="u", key="k", request_fingerprint=OTHER, write=quick)
    assert again.status_code == 201
    assert runs == [1, 1]


async def test_a_throttle_refuses_beyond_its_rate_on_every_replica(
    infra: InfraEnv, kv: Redis, kv_prefix: str
) -> None:
    other_replica = keyvalue.connect(infra.redis_url)
    try:
        here = Throttle(Limiters(kv, prefix=kv_prefix).sliding, "reports", "3/minute")
        there = Throttle(Limiters(other_replica, prefix=kv_prefix).sliding, "reports", "3/minute")
        await here.take("teacher-1")
        await there.take("teacher-1", cost=2)
        with pytest.raises(ApiError) as refused:
            await here.take("teacher-1")
        assert refused.value.status_code == 429
        assert 1 <= int(refused.value.headers["Retry-After"]) <= 60
        await there.take("teacher-2")  # counted per identity
    finally:
        await other_replica.aclose()


async def test_a_lockout_counts_failures_exactly_and_a_success_clears_them(
    kv: Redis, kv_prefix: str
) -> None:
    lockout = Throttle(Limiters(kv, prefix=kv_prefix).moving, "login-failures", "10/15 minutes")
    for _ in range(9):
        assert await lockout.count("demo-head")
    await lockout.ensure_open("demo-head")  # nine failures: still open
    assert await lockout.count("demo-head")  # the tenth is the last within the rate
    with pytest.raises(ApiError) as locked:
        await lockout.ensure_open("demo-head")
    assert locked.value.status_code == 429
    assert int(locked.value.headers["Retry-After"]) > 800  # about 15 minutes
    await lockout.forget("demo-head")
    await lockout.ensure_open("demo-head")


async def test_a_burst_larger_than_the_pool_waits_for_connections_instead_of_failing(
    kv: Redis, kv_prefix: str
) -> None:
    # Three phones sending 100 queued reports each claim 300 keys at once.
    burst = 5 * keyvalue.MAX_CONNECTIONS
    stored = await asyncio.gather(
        *(kv.set(f"{kv_prefix}burst-{n}", "1", ex=60, nx=True) for n in range(burst))
    )
    assert all(stored)
    assert len([key async for key in kv.scan_iter(match=f"{kv_prefix}burst-*")]) == burst
