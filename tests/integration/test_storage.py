"""Storage on the real servers: FerretDB behaviour we rely on, and S3 presigned URLs on MinIO."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase

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


async def test_push_with_slice_keeps_an_array_bounded(db: AsyncDatabase[dict]) -> None:
    """The services bound what grows in a document with $push's $slice (timelines, the latest
    joined reports); the local FerretDB must honour it as MongoDB does."""
    await db.bounded.insert_one({"_id": "h", "latest": [1, 2, 3]})
    await db.bounded.update_one(
        {"_id": "h"}, {"$push": {"latest": {"$each": [4, 5], "$slice": -3}}}
    )
    await db.bounded.update_one(
        {"_id": "h"}, {"$push": {"first": {"$each": [1, 2, 3], "$slice": 2}}}
    )
    assert await db.bounded.find_one({"_id": "h"}) == {
        "_id": "h",
        "latest": [3, 4, 5],
        "first": [1, 2],
    }


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
