"""In-app notifications as their recipient sees them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class NotificationRead(BaseModel):
    """One message in a person's inbox."""

    notification_id: str
    kind: str
    title_zh: str
    title_en: str
    body_zh: str
    body_en: str
    hazard_id: str | None
    created_at: datetime
    read: bool


class NotificationPage(BaseModel):
    """A page of the inbox, newest first."""

    items: list[NotificationRead]
    unread: int
