"""Writing notifications for the events that concern a person."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.notifications.inbox import repository
from services.notifications.inbox.models import NotificationRead
from shared.clock import utc_now
from shared.events import HazardAssigned
from shared.ids import derived_id
from shared.vocabulary import CATEGORY_LABELS

Document = dict[str, Any]


async def notify_assignee(db: AsyncDatabase[Document], event: HazardAssigned) -> bool:
    """Put 'a hazard is yours to rectify' in the assignee's inbox, once per event."""
    place = event.point_name or "所在网格"
    place_en = event.point_name or "your grid"
    category_zh, category_en = CATEGORY_LABELS[event.category]
    doc: Document = {
        # Derived from the event: a redelivered or republished event writes the same document.
        "_id": derived_id("notification", event.event_id, event.assignee.person_id),
        "recipient_id": event.assignee.person_id,
        "kind": "hazard_assigned",
        "title_zh": f"新隐患待整改：{place}",
        "title_en": f"New hazard to rectify: {place_en}",
        "body_zh": f"【{category_zh}】{event.description}",
        "body_en": f"[{category_en}] {event.description}",
        "hazard_id": event.hazard_id,
        "event_id": event.event_id,
        "created_at": utc_now(),
        "read": False,
    }
    return await repository.insert_once(db, doc)


def to_read(doc: Document) -> NotificationRead:
    """Shape a notification document for its recipient."""
    return NotificationRead(
        notification_id=doc["_id"],
        kind=doc["kind"],
        title_zh=doc["title_zh"],
        title_en=doc["title_en"],
        body_zh=doc["body_zh"],
        body_en=doc["body_en"],
        hazard_id=doc.get("hazard_id"),
        created_at=doc["created_at"],
        read=doc["read"],
    )
