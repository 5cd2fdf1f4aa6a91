"""Upload slots, confirming uploads, and short-lived viewing URLs.

The phone uploads straight to S3 with a presigned URL; nothing is served until the confirm
step has checked what arrived (stricter checks of the content come with the media work).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.media_storage.config import Settings
from services.media_storage.media import repository
from services.media_storage.media.models import MediaRead, UploadRequest, UploadSlot
from shared.auth import Principal
from shared.clock import utc_now
from shared.errors import ApiError, field_error, not_found
from shared.events import MediaStored
from shared.ids import new_id
from shared.outbox import push_outbox
from shared.storage import ObjectStore

Document = dict[str, Any]


async def request_upload(
    *,
    db: AsyncDatabase[Document],
    store: ObjectStore,
    settings: Settings,
    principal: Principal,
    upload: UploadRequest,
) -> UploadSlot:
    """Reserve a media id and return a presigned PUT URL for it."""
    if upload.size_bytes > settings.max_upload_bytes:
        limit_mb = settings.max_upload_bytes // (1024 * 1024)
        raise field_error(
            "size_bytes",
            "too_large",
            f"照片不能超过 {limit_mb} MB",
            f"Photos may be at most {limit_mb} MB",
        )
    media_id = new_id()
    now = utc_now()
    key = f"uploads/{now:%Y/%m}/{media_id}"
    lifetime = timedelta(seconds=settings.upload_url_seconds)
    await repository.insert(
        db,
        {
            "_id": media_id,
            "owner_id": principal.user_id,
            "object_key": key,
            "content_type": upload.content_type.value,
            "declared_size": upload.size_bytes,
            "purpose": upload.purpose.value,
            "status": repository.PENDING,
            "created_at": now,
        },
    )
    return UploadSlot(
        media_id=media_id,
        upload_url=store.presigned_put_url(settings.bucket, key, lifetime),
        headers={"Content-Type": upload.content_type.value},
        expires_at=now + lifetime,
    )


async def _owned(db: AsyncDatabase[Document], principal: Principal, media_id: str) -> Document:
    doc = await repository.get(db, media_id)
    if doc is None or doc["owner_id"] != principal.user_id:
        raise not_found("照片", "Media")
    return doc


async def confirm(
    *,
    db: AsyncDatabase[Document],
    store: ObjectStore,
    settings: Settings,
    principal: Principal,
    media_id: str,
) -> tuple[MediaRead, bool]:
    """Check an uploaded object and accept it; returns the media and whether it is newly stored."""
    doc = await _owned(db, principal, media_id)
    if doc["status"] != repository.PENDING:
        return _to_read(doc), False
    stored = await store.stat(settings.bucket, doc["object_key"])
    if stored is None:
        raise ApiError(
            409, "not_uploaded", "文件尚未上传", "Nothing was uploaded for this media id"
        )
    if stored.size != doc["declared_size"] or stored.size > settings.max_upload_bytes:
        await repository.set_status(
            db,
            media_id,
            repository.PENDING,
            {"$set": {"status": repository.REJECTED, "reason": "size_mismatch"}},
        )
        raise field_error(
            "size_bytes",
            "size_mismatch",
            "上传的文件大小与申请不符",
            "The uploaded size differs from the declared size",
        )
    event = MediaStored(
        media_id=media_id,
        owner_id=doc["owner_id"],
        content_type=doc["content_type"],
        size_bytes=stored.size,
        object_key=doc["object_key"],
    )
    update = {"$set": {"status": repository.STORED, "size": stored.size}, **push_outbox(event)}
    newly = await repository.set_status(db, media_id, repository.PENDING, update)
    return _to_read({**doc, "status": repository.STORED}), newly


async def view(
    *,
    db: AsyncDatabase[Document],
    store: ObjectStore,
    settings: Settings,
    principal: Principal,
    media_id: str,
) -> MediaRead:
    """Return a stored photo with a URL that expires in minutes."""
    doc = await _owned(db, principal, media_id)
    url = None
    if doc["status"] == repository.STORED:
        lifetime = timedelta(seconds=settings.view_url_seconds)
        url = store.presigned_get_url(settings.bucket, doc["object_key"], lifetime)
    return _to_read(doc, url)


def _to_read(doc: Document, view_url: str | None = None) -> MediaRead:
    return MediaRead(
        media_id=doc["_id"],
        status=doc["status"],
        content_type=doc["content_type"],
        size_bytes=doc.get("size", doc["declared_size"]),
        purpose=doc["purpose"],
        created_at=doc["created_at"],
        view_url=view_url,
    )
