"""A poison message is not lost: the case service keeps every parked message it hears of, flags
the hazard it concerns (with a timeline entry), and lets county operators list and resolve them."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_cases.hazards.timeline import entry
from services.hazard_cases.parked import repository
from shared.auth import Principal, scope_filter
from shared.clock import utc_now
from shared.errors import ApiError
from shared.events import PersonRef, ReportSubmitted
from shared.ids import derived_id
from shared.messaging import ParkedMessage

Document = dict[str, Any]

SERVICE_NAMES = {
    "grid_registry": ("网格登记", "grid registry"),
    "hazard_intake": ("隐患上报", "hazard intake"),
    "media_storage": ("照片存储", "media storage"),
    "hazard_cases": ("隐患处置", "hazard cases"),
    "notifications": ("消息通知", "notifications"),
    "agency_integration": ("部门协同", "agency integration"),
    "command_centre": ("指挥中心", "command centre"),
}


def hazard_of(parked: ParkedMessage) -> str | None:
    """Return the hazard a parked message is about, if it says (a report's id is its hazard's)."""
    data = parked.data or {}
    if isinstance(data.get("hazard_id"), str):
        return str(data["hazard_id"])
    if parked.event_type == ReportSubmitted.routing_key and isinstance(data.get("report_id"), str):
        return str(data["report_id"])
    return None


async def keep(db: AsyncDatabase[Document], parked: ParkedMessage) -> str:
    """Keep a parked message and flag its hazard; safe to repeat. Return its id."""
    parked_id = derived_id("parked", parked.queue, parked.event_id or parked.body)
    hazard_id = hazard_of(parked)
    grid_path = (parked.data or {}).get("grid_path")
    now = utc_now()
    await repository.record(
        db,
        {
            "_id": parked_id,
            "queue": parked.queue,
            "service": parked.service,
            "event_type": parked.event_type,
            "event_id": parked.event_id,
            "hazard_id": hazard_id,
            "grid_path": grid_path if isinstance(grid_path, str) else None,
            "error": parked.error[:1000],
            "attempts": parked.attempts,
            "data": parked.data,
            "body": parked.body,
            "parked_at": now,
            "resolved_at": None,
        },
    )
    if hazard_id is not None:
        zh, en = SERVICE_NAMES.get(parked.service, (parked.service, parked.service))
        note = entry(
            "message_parked",
            f"系统：{zh}处理本隐患的消息失败，已转入死信队列，待运维人员处理",
            f"System: {en} failed on a message about this hazard; parked for an operator",
            actor=None,
            responsible=None,
            at=now,
            details={"parked_id": parked_id, "queue": parked.queue, "event": parked.event_type},
        )
        # The hazard may not exist (its own report was the poison): the record keeps it.
        await repository.flag_hazard(db, hazard_id, parked_id, note)
    return parked_id


def visible(principal: Principal) -> Document:
    """Return the filter of the parked messages an operator may see: those in their subtree,
    and those that name no place (nothing in them can be placed in anyone's scope)."""
    return {"$or": [scope_filter(principal), {"grid_path": None}]}


async def resolve(
    db: AsyncDatabase[Document], principal: Principal, parked_id: str, note: str
) -> Document:
    """Mark a parked message dealt with (replayed, or judged harmless) and unflag its hazard."""
    doc = await repository.get(db, parked_id)
    if doc is None or not (doc.get("grid_path") is None or principal.covers(doc["grid_path"])):
        raise ApiError(404, "not_found", "没有这条消息", "No such parked message")
    by = PersonRef(person_id=principal.user_id, name=principal.name)
    now = utc_now()
    await repository.resolve(db, parked_id, by.model_dump(), note, now)
    if doc["hazard_id"]:  # again on a retry: unflagging is once per message anyway
        done = entry(
            "message_resolved",
            f"{by.name} 处理了失败的消息：{note}",
            f"{by.name} dealt with the failed message: {note}",
            actor=by,
            responsible=None,
            at=now,
            details={"parked_id": parked_id},
        )
        await repository.unflag_hazard(db, doc["hazard_id"], parked_id, done)
    resolved = await repository.get(db, parked_id)
    assert resolved is not None
    return resolved
