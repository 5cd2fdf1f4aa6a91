"""HTTP routes of media: upload slot, confirm, view."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from services.media_storage.media import service
from services.media_storage.media.models import MediaRead, UploadRequest, UploadSlot
from services.media_storage.media.repository import COLLECTION
from shared.auth import CurrentUser
from shared.dependencies import Db, Idempotency, Relay, RuntimeDep
from shared.idempotency import IdempotencyKeyHeader

router = APIRouter(prefix="/v1", tags=["media"])


@router.post("/uploads", status_code=201, response_model=UploadSlot, summary="Get an upload slot")
async def request_upload(
    request: Request,
    upload: UploadRequest,
    principal: CurrentUser,
    db: Db,
    runtime: RuntimeDep,
    idempotency: Idempotency,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Reserve a media id and get a presigned PUT URL valid for minutes."""
    assert runtime.store is not None

    async def write() -> tuple[int, UploadSlot]:
        slot = await service.request_upload(
            db=db,
            store=runtime.store,
            settings=request.app.state.settings,  # type: ignore[arg-type]
            principal=principal,
            upload=upload,
        )
        return 201, slot

    return await idempotency.answer(
        request, owner=principal.user_id, key=idempotency_key, payload=upload, write=write
    )


@router.post(
    "/media/{media_id}/confirm", response_model=MediaRead, summary="Confirm an upload (idempotent)"
)
async def confirm_upload(
    media_id: str,
    request: Request,
    principal: CurrentUser,
    db: Db,
    runtime: RuntimeDep,
    relay: Relay,
) -> MediaRead:
    """Check what arrived in S3 and accept it."""
    assert runtime.store is not None
    media, newly_stored = await service.confirm(
        db=db,
        store=runtime.store,
        settings=request.app.state.settings,
        principal=principal,
        media_id=media_id,
    )
    if newly_stored:
        relay.notify(COLLECTION, media_id)
    return media


@router.get("/media/{media_id}", response_model=MediaRead, summary="A photo and a short-lived URL")
async def view_media(
    media_id: str, request: Request, principal: CurrentUser, db: Db, runtime: RuntimeDep
) -> MediaRead:
    """Return one of your photos with a viewing URL that expires in minutes."""
    assert runtime.store is not None
    return await service.view(
        db=db,
        store=runtime.store,
        settings=request.app.state.settings,
        principal=principal,
        media_id=media_id,
    )
