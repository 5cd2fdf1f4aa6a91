"""S3 object storage through the `minio` SDK, with short-lived presigned URLs.

The SDK is synchronous; every network call runs in a worker thread so the event loop never
blocks. Presigning is local computation (the region is given, so no lookup is made).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from minio import Minio
from minio.error import S3Error

MAX_URL_LIFETIME = timedelta(minutes=15)


@dataclass(frozen=True)
class StoredObject:
    """What S3 knows about one object."""

    key: str
    size: int
    content_type: str | None
    etag: str


class ObjectStore:
    """A bucket-agnostic S3 client for one endpoint."""

    def __init__(
        self, endpoint: str, access_key: str, secret_key: str, *, secure: bool, region: str
    ) -> None:
        self._client = Minio(
            endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region
        )

    async def ensure_bucket(self, bucket: str) -> None:
        """Create `bucket` if it does not exist yet."""

        def create() -> None:
            if not self._client.bucket_exists(bucket):
                try:
                    self._client.make_bucket(bucket)
                except S3Error as exc:  # another replica created it first
                    if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                        raise

        await asyncio.to_thread(create)

    async def bucket_ready(self, bucket: str) -> bool:
        """Tell whether the server answers and `bucket` exists."""
        try:
            return await asyncio.to_thread(self._client.bucket_exists, bucket)
        except Exception:
            return False

    def presigned_put_url(self, bucket: str, key: str, lifetime: timedelta) -> str:
        """Return a URL that lets its holder PUT `key` until it expires."""
        return self._client.presigned_put_object(bucket, key, expires=_bounded(lifetime))

    def presigned_get_url(self, bucket: str, key: str, lifetime: timedelta) -> str:
        """Return a URL that lets its holder GET `key` until it expires."""
        return self._client.presigned_get_object(bucket, key, expires=_bounded(lifetime))

    async def stat(self, bucket: str, key: str) -> StoredObject | None:
        """Return what S3 knows of `key`, or None if it does not exist."""

        def stat() -> StoredObject | None:
            try:
                info = self._client.stat_object(bucket, key)
            except S3Error as exc:
                if exc.code in ("NoSuchKey", "NoSuchObject", "NotFound"):
                    return None
                raise
            return StoredObject(
                key=key,
                size=int(info.size or 0),
                content_type=info.content_type,
                etag=str(info.etag),
            )

        return await asyncio.to_thread(stat)

    async def remove_bucket_contents(self, bucket: str) -> None:
        """Delete every object in `bucket` and the bucket itself (used by tests)."""

        def remove() -> None:
            if not self._client.bucket_exists(bucket):
                return
            for obj in self._client.list_objects(bucket, recursive=True):
                if obj.object_name is not None:
                    self._client.remove_object(bucket, obj.object_name)
            self._client.remove_bucket(bucket)

        await asyncio.to_thread(remove)


def _bounded(lifetime: timedelta) -> timedelta:
    if lifetime <= timedelta(0):
        raise ValueError("a presigned URL needs a positive lifetime")
    return min(lifetime, MAX_URL_LIFETIME)
