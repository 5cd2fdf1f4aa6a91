"""Storage on the real servers: FerretDB behaviour we rely on, and S3 presigned URLs on MinIO."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from shared.clock import utc_now
from shared.errors import ApiError
from shared.idempotency import IdempotencyStore, fingerprint
from shared.mongo import ensure_indexes, replace_if_newer, set_if_newer
from shared.storage import ObjectStore
from tests.support.waiting import wait_until


async def test_index_declaration_is_idempotent(db: AsyncDatabase[dict]) -> None:
    indexes = {"things": [IndexModel([("a", 1)], name="a"), IndexModel([("b", 1)], name="b")]}
    await ensure_indexes(db, indexes)
    await ensure_indexes(db, indexes)  # a service restarting
    names = {index["name"] async for index in await db.things.list_indexes()}
    assert {"a", "b"} <= names


async def test_replace_if_newer_never_goes_back_in_time(db: AsyncDatabase[dict]) -> None:
    points = db.points
    assert await replace_if_newer(points, {"_id": "p", "version": 2, "name": "新名称"})
    assert not await replace_if_newer(points, {"_id": "p", "version": 1, "name": "旧名称"})
    assert not await replace_if_newer(points, {"_id": "p", "version": 2, "name": "重放"})
    assert await replace_if_newer(points, {"_id": "p", "version": 3, "name": "更新"})
    assert (await points.find_one({"_id": "p"}))["name"] == "更新"


async def test_idempotency_store_runs_once_and_replays(db: AsyncDatabase[dict]) -> None:
    store = IdempotencyStore(db.idempotency_keys)
    runs: list[int] = []

    async def write() -> tuple[int, dict]:
        runs.append(1)
        await asyncio.sleep(0.05)
        return 201, {"grid_id": "g-1"}

    same = fingerprint("POST", "/v1/grids", {"name": "教学楼"})
    answers = await asyncio.gather(
        *(store.run(owner="u", key="k", request_fingerprint=same, write=write) for _ in range(5)),
        return_exceptions=True,
    )
    done = [a for a in answers if not isinstance(a, Exception)]
    busy = [a for a in answers if isinstance(a, ApiError)]
    assert runs == [1]
    assert all(a.status_code == 409 for a in busy)  # concurrent duplicates: retry shortly
    replay = await store.run(owner="u", key="k", request_fingerprint=same, write=write)
    assert replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true"
    assert runs == [1]
    assert len(done) + len(busy) == 5

    other = fingerprint("POST", "/v1/grids", {"name": "食堂"})
    with pytest.raises(ApiError) as reused:
        await store.run(owner="u", key="k", request_fingerprint=other, write=write)
    assert reused.value.status_code == 422
    # Keys belong to their owner: another user may use the same key.
    mine = await store.run(owner="v", key="k", request_fingerprint=other, write=write)
    assert mine.status_code == 201
    assert runs == [1, 1]


async def test_old_answers_are_purged_in_the_background_and_recent_ones_kept(
    db: AsyncDatabase[dict],
) -> None:
    store = IdempotencyStore(db.idempotency_keys)

    async def write() -> tuple[int, dict]:
        return 201, {"ok": True}

    for key in ("old", "recent"):
        await store.run(owner="u", key=key, request_fingerprint="f", write=write)
    await db.idempotency_keys.update_one(
        {"_id": "u\x1fold"}, {"$set": {"created_at": utc_now() - timedelta(days=30)}}
    )
    purging = asyncio.create_task(store.keep_purged(timedelta(days=14), every_seconds=0.05))
    try:

        async def only_recent_left() -> bool:
            ids = [doc["_id"] async for doc in db.idempotency_keys.find({})]
            return ids == ["u\x1frecent"]

        await wait_until(only_recent_left, timeout=10, what="the old answer to be purged")
    finally:
        purging.cancel()


async def test_failed_write_frees_the_key_for_a_retry(db: AsyncDatabase[dict]) -> None:
    store = IdempotencyStore(db.idempotency_keys)
    same = fingerprint("POST", "/x", {})

    async def fails() -> tuple[int, dict]:
        raise RuntimeError("database down")

    async def works() -> tuple[int, dict]:
        return 201, {"ok": True}

    with pytest.raises(RuntimeError):
        await store.run(owner="u", key="k", request_fingerprint=same, write=fails)
    assert (
        await store.run(owner="u", key="k", request_fingerprint=same, write=works)
    ).status_code == 201


async def test_presigned_put_then_get(object_store: ObjectStore, bucket: str) -> None:
    photo = b"\xff\xd8\xff\xe0" + b"jpeg bytes" * 100
    put_url = object_store.presigned_put_url(bucket, "uploads/p1", timedelta(minutes=5))
    async with httpx.AsyncClient() as http:
        put = await http.put(put_url, content=photo, headers={"Content-Type": "image/jpeg"})
        assert put.status_code == 200
        stored = await object_store.stat(bucket, "uploads/p1")
        assert stored is not None
        assert stored.size == len(photo)
        get_url = object_store.presigned_get_url(bucket, "uploads/p1", timedelta(minutes=5))
        got = await http.get(get_url)
        assert got.status_code == 200
        assert got.content == photo
        # A URL for one object does not open another.
        assert (await http.get(get_url.replace("uploads/p1", "uploads/p2"))).status_code == 403


async def test_expired_url_is_refused(object_store: ObjectStore, bucket: str) -> None:
    put_url = object_store.presigned_put_url(bucket, "uploads/p1", timedelta(minutes=5))
    async with httpx.AsyncClient() as http:
        await http.put(put_url, content=b"x")
        short = object_store.presigned_get_url(bucket, "uploads/p1", timedelta(seconds=1))
        assert (await http.get(short)).status_code == 200

        async def refused() -> bool:
            return (await http.get(short)).status_code == 403

        await wait_until(refused, timeout=10, interval=0.25, what="the URL to expire")


async def test_missing_object_has_no_stat(object_store: ObjectStore, bucket: str) -> None:
    assert await object_store.stat(bucket, "nothing/here") is None


async def test_replace_if_newer_keeps_the_newest_when_versions_race(
    db: AsyncDatabase[dict],
) -> None:
    # Events of one object handled at once: whatever the interleaving, the newest wins.
    for attempt in range(20):
        key = f"p{attempt}"
        await asyncio.gather(
            *(replace_if_newer(db.points, {"_id": key, "version": v, "v": v}) for v in (1, 2, 3))
        )
        assert (await db.points.find_one({"_id": key}))["version"] == 3


async def test_single_document_updates_are_atomic(db: AsyncDatabase[dict]) -> None:
    # What every version check, lease and outbox update relies on (FerretDB needs our fix).
    await db.counters.insert_one({"_id": "c", "n": 0, "owner": None})
    await asyncio.gather(
        *(db.counters.update_one({"_id": "c"}, {"$inc": {"n": 1}}) for _ in range(100))
    )
    claims = await asyncio.gather(
        *(
            db.counters.update_one({"_id": "c", "owner": None}, {"$set": {"owner": f"w{i}"}})
            for i in range(20)
        )
    )
    assert (await db.counters.find_one({"_id": "c"}))["n"] == 100
    assert sum(result.modified_count for result in claims) == 1


async def test_set_if_newer_keeps_each_copy_at_its_newest(db: AsyncDatabase[dict]) -> None:
    grids = db.grids
    await asyncio.gather(
        set_if_newer(grids, "g", "version", 2, {"name": "新名"}),
        set_if_newer(grids, "g", "version", 1, {"name": "旧名"}),
        set_if_newer(grids, "g", "assignments_version", 5, {"assignments": ["a5"]}),
        set_if_newer(grids, "g", "assignments_version", 4, {"assignments": ["a4"]}),
    )
    doc = await grids.find_one({"_id": "g"})
    assert (doc["name"], doc["version"]) == ("新名", 2)
    assert (doc["assignments"], doc["assignments_version"]) == (["a5"], 5)
