"""A poison message is not lost: the case service keeps every parked message it hears of, flags
the hazard it concerns (with a timeline entry), announces it to the command centre, and lets
county operators replay it to the queue that gave up on it, or resolve it.

Each parked message moves through numbered states (`sequence`): kept, resolved, kept again if a
replay failed too. Every change is one version-guarded write carrying its event in the outbox.
"""

from __future__ import annotations

import json
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_cases.hazards.timeline import entry
from services.hazard_cases.parked import repository
from shared.auth import Principal, scope_filter
from shared.clock import utc_now
from shared.errors import ApiError
from shared.events import ParkedMessageKept, ParkedMessageResolved, PersonRef, ReportSubmitted
from shared.ids import derived_id
from shared.messaging import Broker, ParkedMessage, PublishFailed
from shared.messaging.parked import MAX_KEPT_BYTES
from shared.outbox import new_outbox, push_outbox

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


def _kept_event(doc: Document, sequence: int) -> ParkedMessageKept:
    return ParkedMessageKept(
        event_id=derived_id("ParkedMessageKept", doc["_id"], str(sequence)),
        parked_id=doc["_id"],
        service=doc["service"],
        queue=doc["queue"],
        event_type=doc["event_type"],
        hazard_id=doc["hazard_id"],
        grid_path=doc["grid_path"],
        error=doc["error"],
        parked_at=doc["parked_at"],
        sequence=sequence,
    )


async def keep(db: AsyncDatabase[Document], parked: ParkedMessage) -> str | None:
    """Keep a parked message and flag its hazard; safe to repeat. Return its id when it was
    new, or parked again after a replay (None for a repeated copy)."""
    parked_id = derived_id("parked", parked.queue, parked.event_id or parked.body)
    hazard_id = hazard_of(parked)
    grid_path = (parked.data or {}).get("grid_path")
    now = utc_now()
    doc: Document = {
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
        "times_parked": 1,
        "replays": [],
        "replay_pending": False,
        "sequence": 1,
    }
    new = await repository.record(db, {**doc, **new_outbox(_kept_event(doc, 1))})
    if not new and not await _parked_again(db, parked_id, parked, now):
        return None  # a repeated copy of a message kept before
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


async def _parked_again(
    db: AsyncDatabase[Document], parked_id: str, parked: ParkedMessage, now: Any
) -> bool:
    """Open a kept message again when its replay was parked too; tell whether it was."""
    while True:
        doc = await repository.get(db, parked_id)
        if doc is None or not doc.get("replay_pending"):
            return False
        sequence = doc["sequence"] + 1
        fields = {
            "error": parked.error[:1000],
            "attempts": parked.attempts,
            "parked_at": now,
            "resolved_at": None,
            "replay_pending": False,
            "sequence": sequence,
        }
        update = {
            "$set": fields,
            "$inc": {"times_parked": 1},
            **push_outbox(_kept_event({**doc, **fields}, sequence)),
        }
        if await repository.update_if_sequence(db, parked_id, doc["sequence"], update):
            return True


def visible(principal: Principal) -> Document:
    """Return the filter of the parked messages an operator may see: those in their subtree,
    and those that name no place (nothing in them can be placed in anyone's scope)."""
    return {"$or": [scope_filter(principal), {"grid_path": None}]}


async def _visible_one(
    db: AsyncDatabase[Document], principal: Principal, parked_id: str
) -> Document:
    doc = await repository.get(db, parked_id)
    if doc is None or not (doc.get("grid_path") is None or principal.covers(doc["grid_path"])):
        raise ApiError(404, "not_found", "没有这条消息", "No such parked message")
    return doc


async def resolve(
    db: AsyncDatabase[Document],
    principal: Principal,
    parked_id: str,
    note: str,
    *,
    replayed: bool = False,
) -> Document:
    """Mark a parked message dealt with (replayed, or judged harmless) and unflag its hazard."""
    by = PersonRef(person_id=principal.user_id, name=principal.name)
    while True:
        doc = await _visible_one(db, principal, parked_id)
        if doc["resolved_at"] is not None:
            return doc  # resolved before (a retry)
        now = utc_now()
        sequence = doc["sequence"] + 1
        resolved = ParkedMessageResolved(
            event_id=derived_id("ParkedMessageResolved", parked_id, str(sequence)),
            parked_id=parked_id,
            grid_path=doc["grid_path"],
            resolved_by=by,
            replayed=replayed,
            note=note,
            resolved_at=now,
            sequence=sequence,
        )
        update = {
            "$set": {
                "resolved_at": now,
                "resolved_by": by.model_dump(),
                "resolution_note": note,
                "sequence": sequence,
            },
            **push_outbox(resolved),
        }
        if await repository.update_if_sequence(db, parked_id, doc["sequence"], update):
            break
    if doc["hazard_id"]:
        kind = "message_replayed" if replayed else "message_resolved"
        verb_zh, verb_en = ("重放了", "replayed") if replayed else ("处理了", "dealt with")
        done = entry(
            kind,
            f"{by.name} {verb_zh}失败的消息：{note}",
            f"{by.name} {verb_en} the failed message: {note}",
            actor=by,
            responsible=None,
            at=now,
            details={"parked_id": parked_id},
        )
        await repository.unflag_hazard(db, doc["hazard_id"], parked_id, done)
    again = await repository.get(db, parked_id)
    assert again is not None
    return again


def replayable(doc: Document) -> bool:
    """Tell whether the kept copy is whole and readable, so it can be sent again from here."""
    body = str(doc.get("body") or "")
    if len(body.encode()) >= MAX_KEPT_BYTES:
        return False  # cut when kept: the original is in the queue's dead-letter queue
    try:
        return isinstance(json.loads(body), dict)
    except ValueError:
        return False


async def replay(
    db: AsyncDatabase[Document],
    broker: Broker,
    principal: Principal,
    parked_id: str,
    note: str,
) -> Document:
    """Send a parked message back to the queue that gave up on it and mark it resolved.

    Its handler is idempotent, so a message whose work was done meanwhile changes nothing; if it
    fails again, it is parked again and this record opens again (`keep`).
    """
    doc = await _visible_one(db, principal, parked_id)
    if not replayable(doc):
        raise ApiError(
            409,
            "not_replayable",
            "该消息的副本不完整或无法解析，请从其死信队列中重放",
            "The kept copy is cut or unreadable; replay it from its dead-letter queue",
        )
    by = PersonRef(person_id=principal.user_id, name=principal.name)
    # Marked before sending: if the replay is parked again at once, `keep` must see it.
    mark = {
        "$set": {"replay_pending": True},
        "$push": {
            "replays": {
                "$each": [{"by": by.model_dump(), "at": utc_now()}],
                "$slice": -repository.KEPT_REPLAYS,
            }
        },
    }
    if not await repository.update_if_sequence(db, parked_id, doc["sequence"], mark):
        raise ApiError(
            409,
            "parked_message_changed",
            "该消息刚被他人处理或再次失败，请刷新后重试",
            "The message changed meanwhile (handled by someone else or parked again); reload",
        )
    try:
        await broker.replay(doc["queue"], str(doc["body"]).encode(), message_id=doc["event_id"])
    except PublishFailed as exc:
        raise ApiError(
            503,
            "not_sent",
            "暂时无法重放，请稍后使用同一个 Idempotency-Key 重试",
            "Not sent yet; retry shortly with the same Idempotency-Key",
            headers={"Retry-After": "2"},
        ) from exc
    return await resolve(db, principal, parked_id, note, replayed=True)
