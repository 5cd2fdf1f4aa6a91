"""HTTP routes of the in-app inbox: each person sees only their own notifications."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.notifications.access import admit
from services.notifications.inbox import repository, service
from services.notifications.inbox.models import NotificationPage
from shared.auth import CurrentUser
from shared.dependencies import Db
from shared.errors import not_found
from shared.fields import Id

router = APIRouter(prefix="/v1/notifications", tags=["inbox"])


@router.get(
    "",
    dependencies=[admit("own notifications", "read")],
    response_model=NotificationPage,
    summary="Your notifications, newest first",
)
async def my_notifications(
    principal: CurrentUser, db: Db, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> NotificationPage:
    """Return the caller's inbox."""
    docs, unread = await repository.inbox(db, principal.user_id, limit=limit)
    return NotificationPage(items=[service.to_read(doc) for doc in docs], unread=unread)


@router.post(
    "/{notification_id}/read",
    dependencies=[admit("own notifications", "mark read")],
    status_code=204,
    summary="Mark one of your notifications read",
)
async def mark_read(notification_id: Id, principal: CurrentUser, db: Db) -> Response:
    """Mark it read (idempotent; 404 if it is not yours)."""
    if not await repository.mark_read(db, principal.user_id, notification_id):
        raise not_found("通知", "Notification")
    return Response(status_code=204)
