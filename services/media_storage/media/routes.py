"""HTTP routes of media: upload slot, confirm, view."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from services.media_storage.access import admit
from services.media_storage.dependencies import ImageWorkerDep, Metrics, SettingsDep, Store
from services.media_storage.media import service
from services.media_storage.media.models import MediaRead, MediaStatus, UploadRequest, UploadSlot
from services.media_storage.media.repository import COLLECTION
from shared.auth import CurrentUser
from shared.dependencies import Db, Idempotency, Relay
from shared.fields import Id
from shared.idempotency import IdempotencyKeyHeader

router = APIRouter(prefix="/v1", tags=["media"])


@router.post(
    "/uploads",
    dependencies=[admit("photos", "upload")],
    status_code=201,
    response_model=UploadSlot,
    summary="Get an upload slot",
)
async def request_upload(
    request: Request,
    upload: UploadRequest,
    principal: CurrentUser,
    db: Db,
    store: Store,
    settings: SettingsDep,
    idempotency: Idempotency,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Reserve a media id and get an S3 POST policy valid for minutes (422 above the limit).

    Then POST multipart/form-data to `url` with every entry of `fields` and the file as `file`
    (last), and call confirm. The file must be exactly the declared `size_bytes`: S3 refuses a
    larger one, confirm any other.
    """

    async def write() -> tuple[int, UploadSlot]:
        slot = await service.request_upload(
            db=db, store=store, settings=settings, principal=principal, upload=upload
        )
        return 201, slot

    return await idempotency.answer(
        request, owner=principal.user_id, key=idempotency_key, payload=upload, write=write
    )


@router.post(
    "/media/{media_id}/confirm",
    dependencies=[admit("photos", "upload")],
    response_model=MediaRead,
    summary="Check an upload and store or reject it (idempotent)",
    responses={409: {"description": "Nothing uploaded yet / 尚未上传"}},
)
async def confirm_upload(
    media_id: Id,
    principal: CurrentUser,
    db: Db,
    store: Store,
    settings: SettingsDep,
    worker: ImageWorkerDep,
    metrics: Metrics,
    relay: Relay,
) -> MediaRead:
    """Check size, type (magic bytes) and pixel count, strip the metadata, keep a thumbnail.

    422 `media_rejected` names the reason (detail code too_large, size_mismatch (not the size
    declared for the slot), not_an_image, too_many_pixels or unreadable); the upload is deleted
    and never served. A served image is at most `MEDIA_STORAGE_MAX_EDGE_PX` on its long side.
    """
    outcome = await service.confirm(
        db=db,
        store=store,
        settings=settings,
        worker=worker,
        metrics=metrics,
        principal=principal,
        media_id=media_id,
    )
    if outcome.changed:
        relay.notify(COLLECTION, media_id)
    media = outcome.media
    if media.status is MediaStatus.REJECTED and media.rejection is not None:
        raise service.rejection_error(media.rejection.reason)
    return media


@router.get(
    "/media/{media_id}",
    dependencies=[admit("photos", "view")],
    response_model=MediaRead,
    summary="A photo and short-lived URLs",
)
async def view_media(
    media_id: Id, principal: CurrentUser, db: Db, store: Store, settings: SettingsDep
) -> MediaRead:
    """Return a photo to its owner, or to whoever may see the hazard it belongs to (else 404).

    That is: managers whose subtree holds the hazard; teachers who reported it, joined it or
    must rectify it now; liaisons of an agency it was referred to, inside their subtree.
    """
    return await service.view(
        db=db, store=store, settings=settings, principal=principal, media_id=media_id
    )
