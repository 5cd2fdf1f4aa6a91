"""Queueing webhook deliveries for the events that concern an agency."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.agency_integration.agencies import repository as agencies
from services.agency_integration.agencies.service import concerns
from services.agency_integration.deliveries import repository
from shared.clock import utc_now
from shared.events import HazardOpened
from shared.ids import derived_id
from shared.vocabulary import CATEGORY_LABELS

Document = dict[str, Any]

WEBHOOK_TYPE_HAZARD_OPENED = "hazard.opened"


def hazard_payload(event: HazardOpened) -> bytes:
    """Return the webhook body for a new hazard (Standard Webhooks payload shape)."""
    category_zh, category_en = CATEGORY_LABELS[event.category]
    body = {
        "type": WEBHOOK_TYPE_HAZARD_OPENED,
        "timestamp": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "data": {
            "hazard_id": event.hazard_id,
            "category": event.category.value,
            "category_label_zh": category_zh,
            "category_label_en": category_en,
            "risk_grade": event.risk_grade.value if event.risk_grade else None,
            "description": event.description,
            "school_name": event.school_name,
            "point_name": event.point_name,
            "grid_name": event.grid_name,
            "reported_at": event.reported_at.isoformat().replace("+00:00", "Z"),
        },
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


async def enqueue_for_hazards(db: AsyncDatabase[Document], events: Sequence[HazardOpened]) -> int:
    """Queue one delivery per agency with a webhook each new hazard concerns, in one read of
    the agencies and one insert; return how many were new."""
    known = await agencies.subscribed_to(db, {event.category.value for event in events})
    now = utc_now()
    docs = [
        {
            "_id": "msg_" + derived_id("delivery", event.event_id, agency["_id"]),
            "agency_id": agency["_id"],
            "event_type": WEBHOOK_TYPE_HAZARD_OPENED,
            "hazard_id": event.hazard_id,
            "body": hazard_payload(event).decode(),
            "status": repository.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for event in events
        for agency in known
        if agency.get("webhook_url") and concerns(agency, event.category.value, event.grid_path)
    ]
    return len(await repository.insert_missing(db, docs))
