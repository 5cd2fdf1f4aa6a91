"""Writing notifications for the events that concern a person."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.notifications.inbox import repository
from services.notifications.inbox.models import NotificationRead
from shared.clock import utc_now
from shared.events import (
    AgencyAnswerNoted,
    HazardAssigned,
    HazardEscalated,
    HazardTransitioned,
    ReportKeyReused,
    ReportLinked,
)
from shared.ids import derived_id
from shared.vocabulary import CATEGORY_LABELS, DISPOSITION_KIND_LABELS

Document = dict[str, Any]


async def deliver(db: AsyncDatabase[Document], notices: Sequence[Document]) -> set[str]:
    """Store a batch of notifications in one command, each once (their ids derive from their
    events, so a redelivered batch stores only what was missing); return the ids stored now."""
    return await repository.insert_missing(db, notices)


def assignee_notice(event: HazardAssigned) -> Document:
    """Return 'a hazard is yours to rectify' for the assignee's inbox."""
    place = event.point_name or event.grid_name or "所在网格"
    place_en = event.point_name or event.grid_name or "your grid"
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
    return doc


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


def _notice(
    event_id: str,
    recipient_id: str,
    kind: str,
    hazard_id: str,
    title: tuple[str, str],
    body: tuple[str, str],
) -> Document:
    return {
        "_id": derived_id("notification", event_id, recipient_id),
        "recipient_id": recipient_id,
        "kind": kind,
        "title_zh": title[0],
        "title_en": title[1],
        "body_zh": body[0],
        "body_en": body[1],
        "hazard_id": hazard_id,
        "event_id": event_id,
        "created_at": utc_now(),
        "read": False,
    }


async def notify_escalated(db: AsyncDatabase[Document], event: HazardEscalated) -> bool:
    """Tell the person a hazard climbed to that it is now theirs to push (督办)."""
    place = event.point_name or event.school_name or "所在网格"
    reason_zh = "超时未签收" if event.reason == "not_accepted" else "超期未整改"
    reason_en = "not accepted in time" if event.reason == "not_accepted" else "overdue"
    who = event.assignee.name if event.assignee else "责任人"
    doc = _notice(
        event.event_id,
        event.escalated_to.person_id,
        "hazard_escalated",
        event.hazard_id,
        (f"隐患{reason_zh}，请督办：{place}", f"Hazard {reason_en}, please follow up: {place}"),
        (
            f"{who} 负责的隐患{reason_zh}，已逐级上报至您（第 {event.level} 级）：{event.description}",
            f"{who}'s hazard is {reason_en} and has reached you (level {event.level}): "
            f"{event.description}",
        ),
    )
    return await repository.insert_once(db, doc)


# What the reporter or the assignee hears of a step: action → (recipient, kind, zh, en).
_STEP_NOTICES: dict[str, tuple[str, str, str, str]] = {
    "verify": (
        "reporter",
        "hazard_closed",
        "您上报的隐患已整改验收，销号",
        "Your report was fixed and closed",
    ),
    "reject": (
        "reporter",
        "hazard_rejected",
        "您上报的内容经核实不是隐患",
        "Your report was found not to be a hazard",
    ),
    "merge": (
        "reporter",
        "hazard_merged",
        "您上报的隐患已与相同隐患合并处理",
        "Your report was merged with the same hazard",
    ),
    "submit_rectification": (
        "verifier",
        "hazard_to_verify",
        "隐患已整改，请验收",
        "Rectified: please verify it",
    ),
    "fail_verification": (
        "assignee",
        "hazard_reopened",
        "隐患验收不通过，请重新整改",
        "Verification failed: rectify again",
    ),
    "reopen": (
        "assignee",
        "hazard_reopened",
        "隐患问题复现，已重新打开，请整改",
        "The hazard came back: rectify again",
    ),
}


async def notify_step(db: AsyncDatabase[Document], event: HazardTransitioned) -> bool:
    """Tell the reporter how their report ended, the assignee that the work is back, or the
    verifier that a rectification waits for them."""
    notice = _STEP_NOTICES.get(event.action)
    if notice is None:
        return False
    role, kind, title_zh, title_en = notice
    person = {"reporter": event.reporter, "assignee": event.assignee}.get(role, event.verifier)
    if person is None or person.person_id == event.actor.person_id:
        return False
    note_zh = f"：{event.note}" if event.note else ""
    doc = _notice(
        event.event_id,
        person.person_id,
        kind,
        event.merged_into or event.hazard_id,
        (title_zh, title_en),
        (
            f"{event.description}（{event.actor.name}{note_zh}）",
            f"{event.description} ({event.actor.name})",
        ),
    )
    return await repository.insert_once(db, doc)


def linked_notice(event: ReportLinked) -> Document:
    """Return 'your report joined a hazard already being handled' for the reporter's inbox."""
    return _notice(
        event.event_id,
        event.reporter.person_id,
        "report_linked",
        event.hazard_id,
        ("您上报的隐患已有人上报，正在处理中", "Already reported: your report joined that hazard"),
        (
            f"{event.description}（已并入正在处理的同一隐患，可在该隐患中查看进度）",
            f"{event.description} (joined the open hazard; follow it there)",
        ),
    )


def reported_again_notice(event: ReportLinked) -> Document | None:
    """Return 'the hazard you are to verify was reported again' for the verifier's inbox, when
    a report joined a hazard awaiting verification; else None."""
    if event.verifier is None or event.verifier.person_id == event.reporter.person_id:
        return None
    return _notice(
        event.event_id,
        event.verifier.person_id,
        "hazard_reported_again",
        event.hazard_id,
        (
            "待验收的隐患又有人上报，请现场核实后再验收",
            "A hazard awaiting your verification was reported again: check on site first",
        ),
        (
            f"{event.reporter.name}：{event.description}",
            f"{event.reporter.name}: {event.description}",
        ),
    )


async def notify_key_reused(db: AsyncDatabase[Document], event: ReportKeyReused) -> bool:
    """Tell a reporter a report was not recorded: its Idempotency-Key belonged to another one."""
    doc = _notice(
        event.event_id,
        event.reporter.person_id,
        "report_key_reused",
        event.hazard_id,
        (
            "上报未被记录：请作为新的上报重新发送",
            "Report not recorded: send it again as a new report",
        ),
        (
            f"{event.description}（它与您之前的另一条上报使用了同一个 Idempotency-Key）",
            f"{event.description} (it reused the Idempotency-Key of an earlier report of yours)",
        ),
    )
    return await repository.insert_once(db, doc)


async def notify_agency_answer(db: AsyncDatabase[Document], event: AgencyAnswerNoted) -> bool:
    """Tell whoever answers for a hazard what an agency did about it (派出所已出警…)."""
    if event.assignee is None:
        return False
    kind_zh, kind_en = DISPOSITION_KIND_LABELS[event.kind]
    doc = _notice(
        event.event_id,
        event.assignee.person_id,
        "agency_answer",
        event.hazard_id,
        (f"{event.agency_name}：{kind_zh}", f"{event.agency_name}: {kind_en}"),
        (f"{event.description}（{event.note}）", f"{event.description} ({event.note})"),
    )
    return await repository.insert_once(db, doc)
