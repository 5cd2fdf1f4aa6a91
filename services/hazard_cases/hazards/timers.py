"""The escalation timers: every replica looks for hazards whose timer ran out, and each
escalation is one write guarded by the hazard's version, so however many replicas look at the
same hazard, each step happens exactly once (the losers' writes match nothing).
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime
from typing import Any

from prometheus_client import Counter
from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_cases.deadlines.repository import PolicyBook
from services.hazard_cases.hazards import escalation, repository, timer_hints
from services.hazard_cases.hazards import events as hazard_events
from services.hazard_cases.hazards.escalation import REASON_LABELS, Step
from services.hazard_cases.hazards.timeline import appended, entry
from shared.clock import utc_now
from shared.events import PersonRef
from shared.outbox import OutboxRelay, push_outbox
from shared.vocabulary import HazardStatus

Document = dict[str, Any]
BATCH = 500

ESCALATIONS = Counter(
    "xiaoan_hazard_escalations_total", "Escalations written by this process", ["reason"]
)
log = logging.getLogger(__name__)


def _update(doc: Document, step: Step, now: datetime) -> Document:
    """Return the write of one step (or of the end of the chain, which announces nothing)."""
    version = doc["version"] + 1
    fields: Document = {"next_check_at": step.next_check_at, "version": version}
    if step.to is None:
        return {"$set": fields}
    target = PersonRef.model_validate(step.to)
    fields.update({"escalation_level": step.level, "escalated_to": target.model_dump()})
    reason_zh, reason_en = REASON_LABELS[step.reason]
    assignee = doc.get("assignee")
    timeline_entry = entry(
        "escalated",
        f"{reason_zh}，逐级上报至 {target.name}（第 {step.level} 级）",
        f"{reason_en.capitalize()}: escalated to {target.name} (level {step.level})",
        actor=None,
        responsible=PersonRef.model_validate(assignee) if assignee else None,
        at=now,
        status=HazardStatus(doc["status"]),
        details={"level": step.level, "reason": step.reason.value, "due_at": step.due_at},
    )
    record = {
        "level": step.level,
        "to": target.model_dump(),
        "reason": step.reason.value,
        "due_at": step.due_at,
        "at": now,
    }
    event = hazard_events.escalated({**doc, **fields}, step, target)
    return {
        "$set": fields,
        "$push": {
            "timeline": appended(timeline_entry),
            "escalations": record,
            **push_outbox(event)["$push"],
        },
    }


async def escalate_hazard(
    db: AsyncDatabase[Document], policies: PolicyBook, doc: Document, now: datetime
) -> int:
    """Write every step a hazard owes at `now`; return how many escalations this process wrote."""
    written = 0
    policy, _ = await policies.for_path(doc["grid_path"])
    step_length = policy.escalation_step(doc.get("risk_grade"))
    while (step := escalation.due_step(doc, now, step_length)) is not None:
        update = _update(doc, step, now)
        if not await repository.update_if_version(db, doc["_id"], doc["version"], update):
            return written  # another replica (or an action) got there first
        doc = {**doc, **update["$set"]}
        await timer_hints.note(db, [timer_hints.timer_of(doc)])
        if step.to is None:
            return written
        written += 1
        ESCALATIONS.labels(step.reason.value).inc()
    return written


async def escalate_due(
    db: AsyncDatabase[Document], policies: PolicyBook, relay: OutboxRelay
) -> int:
    """Escalate every hazard whose timer ran out, as the hints tell; return how many were."""
    now = utc_now()
    hints = await timer_hints.due(db, now, BATCH)
    found = await repository.get_many(db, [hint["_id"] for hint in hints])
    await timer_hints.forget(db, [hint for hint in hints if hint["_id"] not in found])
    written = 0
    for hint in hints:
        doc = found.get(hint["_id"])
        if doc is None:
            continue
        if await escalate_hazard(db, policies, doc, now):
            written += 1
            relay.notify(repository.COLLECTION, doc["_id"])
        elif doc.get("next_check_at") is not None and doc["next_check_at"] > now:
            await timer_hints.note(db, [timer_hints.timer_of(doc)])  # the hint was behind
        else:  # nothing can run out at this version: a later change notes its own hint
            await timer_hints.forget(db, [{"_id": doc["_id"], "v": doc["version"]}])
    return written


async def copy_missing_hints(db: AsyncDatabase[Document]) -> int:
    """Give every hazard with a timer a hint at its version (the backstop: one read of every
    hazard); return how many were missing or behind."""
    known = await timer_hints.versions(db)
    behind = [
        timer for timer in await repository.running_timers(db) if known.get(timer[0], -1) < timer[1]
    ]
    await timer_hints.note(db, behind)
    return len(behind)


async def run_timers(
    db: AsyncDatabase[Document], policies: PolicyBook, relay: OutboxRelay, interval: float
) -> None:
    """Check the timers every `interval` seconds, for as long as the service runs; copy the
    hints that are missing at start and every `BACKSTOP_SECONDS`."""
    copied_at: float | None = None
    while True:
        try:
            if copied_at is None or time.monotonic() - copied_at >= timer_hints.BACKSTOP_SECONDS:
                missing = await copy_missing_hints(db)
                if missing and copied_at is not None:
                    log.warning("%d escalation timer hints were missing or behind", missing)
                copied_at = time.monotonic()
            await escalate_due(db, policies, relay)
        except Exception:  # a database hiccup must not stop the timers for good
            log.exception("escalation timers failed; trying again")
        await asyncio.sleep(interval)
