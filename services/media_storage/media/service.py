"""Upload slots, checking uploads, short-lived viewing URLs, and photos joining their hazards.

The phone uploads straight to S3 through a POST policy (S3 itself enforces the exact key, the
type and at most the declared size); nothing is served until `confirm` has checked what arrived
(exactly the declared size, then the checks of `checks.py`), written a clean copy and a
thumbnail under their own keys and deleted the upload (it carries the GPS).
Each media document moves pending → stored or rejected once, in one write carrying its event.
A photo is seen by its uploader and, once attached to a hazard (with the report that opened or
joined it, or as evidence of its rectification), by whoever may see that hazard
(hazards/visibility.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import Counter
from pymongo.asynchronous.database import AsyncDatabase

from services.media_storage.config import Settings
from services.media_storage.hazards import visibility
from services.media_storage.media import repository
from services.media_storage.media.checks import REASON_TEXT, Rejected, RejectReason
from services.media_storage.media.images import EXTENSION, THUMBNAIL_TYPE, CleanImage
from services.media_storage.media.models import (
    MediaPurpose,
    MediaRead,
    MediaStatus,
    Rejection,
    UploadRequest,
    UploadSlot,
)
from services.media_storage.media.worker import ImageWorker
from shared.auth import Principal
from shared.clock import utc_now
from shared.errors import ApiError, ErrorDetail, field_error, not_found
from shared.events import (
    HazardOpened,
    HazardTransitioned,
    MediaRejected,
    MediaStored,
    ReportLinked,
)
from shared.ids import new_id
from shared.observability.metrics import ServiceMetrics
from shared.outbox import push_outbox
from shared.storage import ObjectStore, ObjectTooLarge

log = logging.getLogger(__name__)

Document = dict[str, Any]


@dataclass(frozen=True)
class Confirmed:
    """The media after a confirm, and whether this call changed it (its event waits to go)."""

    media: MediaRead
    changed: bool


async def request_upload(
    *,
    db: AsyncDatabase[Document],
    store: ObjectStore,
    settings: Settings,
    principal: Principal,
    upload: UploadRequest,
) -> UploadSlot:
    """Reserve a media id and return an S3 POST policy for exactly its upload key and size."""
    if upload.size_bytes > settings.max_upload_bytes:
        limit_mb = settings.max_upload_bytes / (1024 * 1024)
        raise field_error(
            "size_bytes",
            "too_large",
            f"照片不能超过 {limit_mb:g} MB",
            f"Photos may be at most {limit_mb:g} MB",
        )
    media_id = new_id()
    now = utc_now()
    key = f"uploads/{now:%Y/%m}/{media_id}"
    await repository.insert(
        db,
        {
            "_id": media_id,
            "owner_id": principal.user_id,
            "upload_key": key,
            "declared_type": upload.content_type.value,
            "declared_size": upload.size_bytes,
            "purpose": upload.purpose.value,
            "status": MediaStatus.PENDING.value,
            "created_at": now,
        },
    )
    policy = store.presigned_post(
        settings.bucket,
        key,
        content_type=upload.content_type.value,
        # Exactly the size declared: S3 refuses more (EntityTooLarge) and less (EntityTooSmall).
        min_bytes=upload.size_bytes,
        max_bytes=upload.size_bytes,
        lifetime=timedelta(seconds=settings.upload_url_seconds),
    )
    return UploadSlot(
        media_id=media_id,
        url=policy.url,
        fields=policy.fields,
        expires_at=policy.expires_at,
        max_bytes=settings.max_upload_bytes,
    )


async def confirm(
    *,
    db: AsyncDatabase[Document],
    store: ObjectStore,
    settings: Settings,
    worker: ImageWorker,
    metrics: ServiceMetrics,
    principal: Principal,
    media_id: str,
) -> Confirmed:
    """Check what was uploaded for `media_id` and store or reject it (idempotent)."""
    doc = await repository.get(db, media_id)
    if doc is None or doc["owner_id"] != principal.user_id:
        raise not_found("照片", "Media")
    if doc["status"] != MediaStatus.PENDING:
        # A crash between the state change and the deletion may have left the upload.
        await store.remove(settings.bucket, doc["upload_key"])
        return Confirmed(_to_read(doc), changed=False)
    uploaded = await store.stat(settings.bucket, doc["upload_key"])
    if uploaded is None:
        raise _not_uploaded()
    declared = doc["declared_size"]

    async def read() -> bytes | None:
        # Called once the worker has a slot: a burst of confirms never holds every upload.
        try:
            data = await store.read(
                settings.bucket, doc["upload_key"], max_bytes=settings.max_upload_bytes
            )
        except ObjectTooLarge:
            raise Rejected(RejectReason.TOO_LARGE) from None
        if data is not None and len(data) != declared:  # replaced since the stat
            raise Rejected(RejectReason.SIZE_MISMATCH)
        return data

    try:
        if uploaded.size > settings.max_upload_bytes:
            raise Rejected(RejectReason.TOO_LARGE)
        if uploaded.size != declared:
            raise Rejected(RejectReason.SIZE_MISMATCH)
        image = await worker.clean(read)
    except Rejected as rejected:
        return await _reject(db, store, settings, metrics, doc, rejected.reason)
    if image is None:  # a concurrent confirm finished and deleted the upload
        return await _settled(db, media_id)
    return await _store(db, store, settings, metrics, doc, image)


async def _store(
    db: AsyncDatabase[Document],
    store: ObjectStore,
    settings: Settings,
    metrics: ServiceMetrics,
    doc: Document,
    image: CleanImage,
) -> Confirmed:
    media_id = doc["_id"]
    folder = f"{doc['created_at']:%Y/%m}"
    object_key = f"photos/{folder}/{media_id}.{EXTENSION[image.content_type]}"
    thumbnail_key = f"thumbnails/{folder}/{media_id}.jpg"
    await store.write(
        settings.bucket, object_key, image.data, content_type=image.content_type.value
    )
    await store.write(
        settings.bucket, thumbnail_key, image.thumbnail, content_type=THUMBNAIL_TYPE.value
    )
    fields = {
        "status": MediaStatus.STORED.value,
        "content_type": image.content_type.value,
        "size_bytes": len(image.data),
        "width": image.width,
        "height": image.height,
        "object_key": object_key,
        "thumbnail_key": thumbnail_key,
        "stored_at": utc_now(),
    }
    event = MediaStored(
        media_id=media_id,
        owner_id=doc["owner_id"],
        content_type=image.content_type.value,
        size_bytes=len(image.data),
        object_key=object_key,
        purpose=doc["purpose"],
        width=image.width,
        height=image.height,
        thumbnail_key=thumbnail_key,
    )
    changed = await repository.leave_pending(db, media_id, {"$set": fields, **push_outbox(event)})
    await store.remove(settings.bucket, doc["upload_key"])
    if not changed:
        return await _settled(db, media_id)
    _stored_counter(metrics).labels(doc["purpose"]).inc()
    return Confirmed(_to_read({**doc, **fields}), changed=True)


async def _reject(
    db: AsyncDatabase[Document],
    store: ObjectStore,
    settings: Settings,
    metrics: ServiceMetrics,
    doc: Document,
    reason: RejectReason,
) -> Confirmed:
    media_id = doc["_id"]
    fields = {
        "status": MediaStatus.REJECTED.value,
        "reason": reason.value,
        "rejected_at": utc_now(),
    }
    event = MediaRejected(
        media_id=media_id, owner_id=doc["owner_id"], purpose=doc["purpose"], reason=reason.value
    )
    changed = await repository.leave_pending(db, media_id, {"$set": fields, **push_outbox(event)})
    await store.remove(settings.bucket, doc["upload_key"])
    if not changed:
        return await _settled(db, media_id)
    log.info("upload rejected", extra={"media_id": media_id, "reason": reason.value})
    _rejected_counter(metrics).labels(reason.value).inc()
    return Confirmed(_to_read({**doc, **fields}), changed=True)


def _stored_counter(metrics: ServiceMetrics) -> Counter:
    return metrics.counter("media_stored_total", "Uploads checked and stored", ["purpose"])


def _rejected_counter(metrics: ServiceMetrics) -> Counter:
    return metrics.counter("media_rejected_total", "Uploads refused by the checks", ["reason"])


def register_metrics(metrics: ServiceMetrics) -> None:
    """Create the counters of stored and rejected uploads, at zero for every label."""
    for purpose in MediaPurpose:
        _stored_counter(metrics).labels(purpose.value)
    for reason in RejectReason:
        _rejected_counter(metrics).labels(reason.value)


async def _settled(db: AsyncDatabase[Document], media_id: str) -> Confirmed:
    """Return what a concurrent confirm decided."""
    doc = await repository.get(db, media_id)
    if doc is None or doc["status"] == MediaStatus.PENDING:
        raise _not_uploaded()
    return Confirmed(_to_read(doc), changed=False)


def _not_uploaded() -> ApiError:
    return ApiError(
        409,
        "not_uploaded",
        "文件尚未上传（或上传未被存储接受），请先上传再确认",
        "Nothing was uploaded for this media id (or storage refused it); upload, then confirm",
    )


def rejection_error(reason: str) -> ApiError:
    """Build the 422 that names why an upload was refused."""
    zh, en = REASON_TEXT[RejectReason(reason)]
    return ApiError(
        422,
        "media_rejected",
        f"照片未通过检查：{zh}",
        f"The photo was rejected: {en}",
        details=[
            ErrorDetail(field="file", location="upload", code=reason, message_zh=zh, message_en=en)
        ],
    )


async def view(
    *,
    db: AsyncDatabase[Document],
    store: ObjectStore,
    settings: Settings,
    principal: Principal,
    media_id: str,
) -> MediaRead:
    """Return a photo to its owner, or to whoever may see the hazard it is attached to; else 404.

    Only a stored photo gets URLs (image and thumbnail), valid for `view_url_seconds`.
    """
    doc = await repository.get(db, media_id)
    if doc is None or not await _may_view(db, principal, doc):
        raise not_found("照片", "Media")
    if doc["status"] != MediaStatus.STORED:
        return _to_read(doc)
    lifetime = timedelta(seconds=settings.view_url_seconds)
    expires_at = datetime.now(UTC) + lifetime  # S3's real clock decides, not a moved one
    return _to_read(
        doc,
        urls=(
            store.presigned_get_url(settings.bucket, doc["object_key"], lifetime),
            store.presigned_get_url(settings.bucket, doc["thumbnail_key"], lifetime),
            expires_at,
        ),
    )


async def _may_view(db: AsyncDatabase[Document], principal: Principal, doc: Document) -> bool:
    """Tell whether the caller may view a photo: its owner always; anyone else once it is
    attached to a hazard they may see."""
    if doc["owner_id"] == principal.user_id:
        return True
    hazard_id = doc.get("hazard_id")
    return hazard_id is not None and await visibility.can_see(db, principal, hazard_id)


async def attach_report(
    db: AsyncDatabase[Document], event: HazardOpened | ReportLinked
) -> list[str]:
    """Record on each photo of a report the report and its hazard; return the ids attached.

    A report's photos are learnt from the case service (the hazard it opened, or the open
    hazard it joined), so the front door's publish feeds a single queue. Only the reporter's
    own photos join (a report cannot claim someone else's), each to one report; a redelivered
    event sets the same values again.
    """
    attached = []
    for media_id in dict.fromkeys(event.photo_ids):
        joined = await repository.attach(
            db,
            media_id,
            owner_id=event.reporter.person_id,
            report_id=event.report_id,
            hazard_id=event.hazard_id,
        )
        if joined:
            attached.append(media_id)
        else:
            log.warning(
                "photo not attached: unknown, not the reporter's, or in another report",
                extra={"media_id": media_id, "report_id": event.report_id},
            )
    return attached


async def attach_evidence(db: AsyncDatabase[Document], event: HazardTransitioned) -> list[str]:
    """Record on rectification photos the hazard they prove fixed, so those who may see it
    view them.

    Only the rectifier's own photos join, each to one hazard.
    """
    attached = []
    for media_id in dict.fromkeys(event.photo_ids):
        if await repository.attach(
            db,
            media_id,
            owner_id=event.actor.person_id,
            report_id=event.hazard_id,
            hazard_id=event.hazard_id,
        ):
            attached.append(media_id)
    return attached


def _to_read(doc: Document, urls: tuple[str, str, datetime] | None = None) -> MediaRead:
    rejection = None
    if doc.get("reason"):
        zh, en = REASON_TEXT[RejectReason(doc["reason"])]
        rejection = Rejection(reason=doc["reason"], message_zh=zh, message_en=en)
    view_url, thumbnail_url, expires_at = urls or (None, None, None)
    return MediaRead(
        media_id=doc["_id"],
        status=doc["status"],
        purpose=doc["purpose"],
        content_type=doc.get("content_type") or doc["declared_type"],
        size_bytes=doc.get("size_bytes") or doc["declared_size"],
        width=doc.get("width"),
        height=doc.get("height"),
        owner_id=doc["owner_id"],
        report_id=doc.get("report_id"),
        hazard_id=doc.get("hazard_id"),
        created_at=doc["created_at"],
        stored_at=doc.get("stored_at"),
        rejection=rejection,
        view_url=view_url,
        thumbnail_url=thumbnail_url,
        urls_expire_at=expires_at,
    )
