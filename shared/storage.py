"""S3 object storage through the `minio` SDK, with short-lived presigned URLs.

The SDK is synchronous; every network call runs in a worker thread so the event loop never
blocks. Presigning is local computation (the region is given, so no lookup is made), done by a
second client built for the endpoint phones and browsers reach (`S3_PUBLIC_ENDPOINT`): a
presigned URL is signed for its host, so one signed for the internal name (`minio:9000`) would
be useless outside.
"""

from __future__ import annotations

import asyncio
import io
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from minio import Minio
from minio.commonconfig import ENABLED, Filter
from minio.datatypes import PostPolicy
from minio.error import S3Error
from minio.lifecycleconfig import Expiration, LifecycleConfig, Rule

log = logging.getLogger(__name__)

MAX_URL_LIFETIME = timedelta(minutes=15)
_MISSING = ("NoSuchKey", "NoSuchObject", "NotFound")


@dataclass(frozen=True)
class StoredObject:
    """What S3 knows about one object."""

    key: str
    size: int
    content_type: str | None
    etag: str


@dataclass(frozen=True)
class PresignedPost:
    """An HTML-form upload: POST multipart/form-data to `url` with `fields`, then the file."""

    url: str
    fields: dict[str, str]
    expires_at: datetime


class ObjectTooLarge(Exception):
    """An object is larger than the caller agreed to read."""


def split_endpoint(endpoint: str, *, secure: bool) -> tuple[str, bool]:
    """Return (host[:port], secure) from 'host:port' or a URL whose scheme chooses TLS."""
    if "://" not in endpoint:
        return endpoint.strip("/"), secure
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path.strip("/"):
        raise ValueError(f"S3 endpoint must be host:port or http(s)://host[:port]: {endpoint}")
    return parts.netloc, parts.scheme == "https"


class ObjectStore:
    """A bucket-agnostic S3 client for one endpoint (and the public name it presigns for)."""

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        *,
        secure: bool,
        region: str,
        public_endpoint: str | None = None,
    ) -> None:
        self._client = Minio(
            endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region
        )
        public, public_secure = split_endpoint(public_endpoint or endpoint, secure=secure)
        # Never used for requests: presigning with the region given is local computation.
        self._presigner = Minio(
            public,
            access_key=access_key,
            secret_key=secret_key,
            secure=public_secure,
            region=region,
        )
        self._public_base = f"{'https' if public_secure else 'http'}://{public}"

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
        return self._presigner.presigned_put_object(bucket, key, expires=_bounded(lifetime))

    def presigned_get_url(self, bucket: str, key: str, lifetime: timedelta) -> str:
        """Return a URL that lets its holder GET `key` until it expires."""
        return self._presigner.presigned_get_object(bucket, key, expires=_bounded(lifetime))

    def presigned_post(
        self,
        bucket: str,
        key: str,
        *,
        content_type: str,
        max_bytes: int,
        lifetime: timedelta,
        min_bytes: int = 1,
    ) -> PresignedPost:
        """Return a POST policy for exactly `key`, exactly `content_type`, `min_bytes` to
        `max_bytes` bytes.

        S3 itself refuses an upload that breaks any condition (a larger file: EntityTooLarge; a
        smaller one: EntityTooSmall).
        The URL is path-style (`<endpoint>/<bucket>`), which every S3-compatible server accepts.
        """
        # S3 checks the expiry against its own (real) clock, never a test's moved one.
        expires_at = datetime.now(UTC) + _bounded(lifetime)
        policy = PostPolicy(bucket, expires_at)
        policy.add_equals_condition("key", key)
        policy.add_equals_condition("Content-Type", content_type)
        policy.add_content_length_range_condition(min_bytes, max_bytes)
        signed = self._presigner.presigned_post_policy(policy)
        fields = {"key": key, "Content-Type": content_type, **signed}
        return PresignedPost(f"{self._public_base}/{bucket}", fields, expires_at)

    async def read(self, bucket: str, key: str, *, max_bytes: int) -> bytes | None:
        """Return the bytes of `key` (None if missing); ObjectTooLarge past `max_bytes`."""

        def read() -> bytes | None:
            try:
                response = self._client.get_object(bucket, key)
            except S3Error as exc:
                if exc.code in _MISSING:
                    return None
                raise
            try:
                data = response.read(max_bytes + 1)
            finally:
                response.close()
                response.release_conn()
            if len(data) > max_bytes:
                raise ObjectTooLarge(key)
            return data

        return await asyncio.to_thread(read)

    async def write(self, bucket: str, key: str, data: bytes, *, content_type: str) -> None:
        """Store `data` under `key`."""
        await asyncio.to_thread(
            self._client.put_object,
            bucket,
            key,
            io.BytesIO(data),
            len(data),
            content_type=content_type,
        )

    async def remove(self, bucket: str, key: str) -> None:
        """Delete `key` (nothing happens if it does not exist)."""
        await asyncio.to_thread(self._client.remove_object, bucket, key)

    async def expire_prefix(self, bucket: str, prefix: str, *, days: int) -> bool:
        """Let S3 delete objects under `prefix` `days` after they were written.

        Replaces the bucket's lifecycle rules. Returns False (and logs) if the server does not
        support lifecycle rules; nothing else depends on them.
        """
        rule = Rule(
            ENABLED,
            rule_filter=Filter(prefix=prefix),
            rule_id=f"expire-{prefix.strip('/').replace('/', '-') or 'all'}",
            expiration=Expiration(days=days),
        )

        def apply() -> None:
            self._client.set_bucket_lifecycle(bucket, LifecycleConfig([rule]))

        try:
            await asyncio.to_thread(apply)
        except S3Error as exc:
            log.warning("S3 lifecycle rules not applied", extra={"code": exc.code})
            return False
        return True

    async def stat(self, bucket: str, key: str) -> StoredObject | None:
        """Return what S3 knows of `key`, or None if it does not exist."""

        def stat() -> StoredObject | None:
            try:
                info = self._client.stat_object(bucket, key)
            except S3Error as exc:
                if exc.code in _MISSING:
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
