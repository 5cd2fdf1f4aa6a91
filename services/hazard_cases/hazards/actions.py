"""Taking an action on a hazard: checks (who, which state), the change, its timeline entry and
its events, all in one single-document write guarded by the hazard's version.

Order of answers: an action the caller's role may never take is 403 (the matrix, access.py,
before the hazard is read); a hazard the caller may not see is 404; an action the state does
not allow is 409 listing the allowed ones; an action this person may not take (not the
assignee, the rectifier verifying their own work) is 403; a body that does not fit (a deadline
in the past, a merge target that is closed) is 422 naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_cases.access import check_action
from services.hazard_cases.deadlines.policy import DeadlinePolicy
from services.hazard_cases.deadlines.repository import PolicyBook
from services.hazard_cases.evidence import service as evidence
from services.hazard_cases.hazards import escalation, lifecycle, repository, timer_hints
from services.hazard_cases.hazards import events as hazard_events
from services.hazard_cases.hazards.lifecycle import ACTION_LABELS, Action
from services.hazard_cases.hazards.models import (
    AcceptBody,
    ActionBody,
    ApproveExtensionBody,
    AssignBody,
    FailVerificationBody,
    MergeBody,
    RecordInterimBody,
    RejectBody,
    ReopenBody,
    SubmitRectificationBody,
    SuperviseBody,
    VerifyBody,
)
from services.hazard_cases.hazards.timeline import appended, entry
from services.hazard_cases.hazards.visibility import can_see
from services.hazard_cases.places import repository as places
from shared.auth import Principal
from shared.clock import utc_now
from shared.errors import ApiError, ErrorDetail, field_error, not_found
from shared.events import PersonRef
from shared.outbox import push_outbox
from shared.vocabulary import HAZARD_STATUS_LABELS, HazardStatus

Document = dict[str, Any]
ATTEMPTS = 5  # re-reads when someone else changed the hazard meanwhile
CHINA = ZoneInfo("Asia/Shanghai")


@dataclass
class Change:
    """What an action sets on the hazard, says in its timeline, and announces."""

    fields: Document = field(default_factory=dict)
    note_zh: str = ""
    note_en: str = ""
    details: Document = field(default_factory=dict)  # kept in the timeline entry


def illegal(status: HazardStatus, action: Action) -> ApiError:
    """Build the 409 for an action the state does not allow, listing the allowed ones."""
    allowed = lifecycle.allowed(status)
    zh_status, en_status = HAZARD_STATUS_LABELS[status]
    names_zh = "、".join(ACTION_LABELS[a][0] for a in allowed) or "无（已结束）"
    names_en = ", ".join(a.value for a in allowed) or "none (finished)"
    return ApiError(
        409,
        "illegal_transition",
        f"隐患当前为「{zh_status}」，不能{ACTION_LABELS[action][0]}。可执行：{names_zh}",
        f"The hazard is {en_status.lower()}; '{action.value}' is not allowed. Allowed: {names_en}",
        details=[
            ErrorDetail(
                field="action",
                location="body",
                code=a.value,
                message_zh=ACTION_LABELS[a][0],
                message_en=ACTION_LABELS[a][1],
            )
            for a in allowed
        ],
    )


def _future(value: datetime, name: str, now: datetime) -> datetime:
    if value <= now:
        raise field_error(
            name, "in_the_past", "期限必须晚于现在", "The deadline must be in the future"
        )
    return value


def _person(principal: Principal) -> PersonRef:
    return PersonRef(person_id=principal.user_id, name=principal.name)


async def _assignable(
    db: AsyncDatabase[Document], principal: Principal, person_id: str
) -> PersonRef:
    person = await places.person_in_scope(db, person_id, principal.scope)
    if person is None:
        raise field_error(
            "person_id",
            "not_in_subtree",
            "该人员不在您管辖的网格中担任职责",
            "This person holds no responsibility in your subtree",
        )
    return PersonRef.model_validate(person)


async def _plan(
    db: AsyncDatabase[Document],
    principal: Principal,
    doc: Document,
    body: Any,
    policy: DeadlinePolicy,
    now: datetime,
) -> Change:
    """Return what the action changes, beyond the status (body-specific checks raise 422)."""
    actor = principal.name
    grade = doc.get("risk_grade")
    rectify_period = policy.rectify_by(grade, doc["category"], now) - now
    if isinstance(body, AssignBody):
        person = await _assignable(db, principal, body.person_id)
        fields: Document = {
            "assignee": person.model_dump(),
            "accepted_at": None,
            "accept_by": policy.acknowledge_by(grade, now),
        }
        if body.new_deadline is not None:
            fields["rectify_by"] = _future(body.new_deadline, "new_deadline", now)
        return Change(
            fields,
            f"{actor} 将隐患分派给 {person.name}" + (f"：{body.note}" if body.note else ""),
            f"{actor} assigned it to {person.name}" + (f": {body.note}" if body.note else ""),
            {"assignee": person.model_dump()},
        )
    if isinstance(body, AcceptBody):
        return Change(
            {"accepted_at": now},
            f"{actor} 签收，开始整改" + (f"：{body.note}" if body.note else ""),
            f"{actor} accepted and started rectifying" + (f": {body.note}" if body.note else ""),
        )
    if isinstance(body, SubmitRectificationBody):
        await evidence.require_own_photos(db, principal.user_id, body.photo_ids)
        return Change(
            {
                "rectified_by": _person(principal).model_dump(),
                "rectified_at": now,
                "rectification": {"note": body.note, "photo_ids": body.photo_ids},
            },
            f"{actor} 提交整改结果：{body.note}",
            f"{actor} submitted the rectification: {body.note}",
            {"photo_ids": body.photo_ids},
        )
    if isinstance(body, VerifyBody):
        return Change(
            {"closed_at": now, "verified_by": _person(principal).model_dump()},
            f"{actor} 验收通过，销号" + (f"：{body.note}" if body.note else ""),
            f"{actor} verified the rectification and closed it"
            + (f": {body.note}" if body.note else ""),
        )
    if isinstance(body, FailVerificationBody | ReopenBody):
        deadline = (
            _future(body.new_deadline, "new_deadline", now)
            if body.new_deadline
            else now + rectify_period
        )
        failed = isinstance(body, FailVerificationBody)
        return Change(
            {
                "rectify_by": deadline,
                "rectified_at": None,
                "closed_at": None,
                "reopen_count": int(doc.get("reopen_count", 0)) + 1,
            },
            (
                f"{actor} 验收不通过，退回重新整改：{body.reason}"
                if failed
                else f"{actor} 重新打开隐患（问题复现）：{body.reason}"
            ),
            (
                f"{actor} failed the verification, back to rectifying: {body.reason}"
                if failed
                else f"{actor} reopened the hazard (the problem came back): {body.reason}"
            ),
            {"reason": body.reason, "rectify_by": deadline},
        )
    if isinstance(body, RejectBody):
        return Change(
            {"closed_at": now, "rejection_reason": body.reason},
            f"{actor} 判定不是隐患：{body.reason}",
            f"{actor} rejected it as not a hazard: {body.reason}",
            {"reason": body.reason},
        )
    if isinstance(body, MergeBody):
        target = await repository.get(db, body.into_hazard_id)
        if target is None or not can_see(principal, target) or target["_id"] == doc["_id"]:
            raise field_error(
                "into_hazard_id", "not_found", "目标隐患不存在", "Target hazard not found"
            )
        if HazardStatus(target["status"]) not in lifecycle.OPEN_STATUSES:
            raise field_error(
                "into_hazard_id",
                "not_open",
                "只能合并到未销号的隐患",
                "Only an open hazard can take a merge",
            )
        return Change(
            {"merged_into": target["_id"], "closed_at": now},
            f"{actor} 将其合并到隐患 {target['_id'][-6:]}（{target['description'][:20]}）",
            f"{actor} merged it into hazard {target['_id'][-6:]}",
            {"into_hazard_id": target["_id"]},
        )
    if isinstance(body, RecordInterimBody):
        requested = _future(body.requested_deadline, "requested_deadline", now)
        request = {"by": _person(principal).model_dump(), "at": now, "deadline": requested}
        return Change(
            {"interim_measures": body.measures, "extension_request": request},
            f"{actor} 登记临时管控措施：{body.measures}；申请延期至 {_local(requested)}",
            f"{actor} recorded interim measures: {body.measures}; asked for {_local(requested)}",
            {"measures": body.measures, "requested_deadline": requested},
        )
    if isinstance(body, ApproveExtensionBody):
        asked = doc.get("extension_request")
        if not asked:
            raise field_error(
                "action",
                "nothing_requested",
                "没有待批准的延期申请",
                "No extension has been asked for",
            )
        deadline = _future(body.deadline or asked["deadline"], "deadline", now)
        return Change(
            {"rectify_by": deadline, "extension_request": None},
            f"{actor} 批准延期至 {_local(deadline)}" + (f"：{body.note}" if body.note else ""),
            f"{actor} approved a new deadline, {_local(deadline)}"
            + (f": {body.note}" if body.note else ""),
            {"rectify_by": deadline},
        )
    assert isinstance(body, SuperviseBody)
    step = policy.escalation_step(grade)
    deadline = _future(body.new_deadline, "new_deadline", now) if body.new_deadline else now + step
    return Change(
        {"rectify_by": deadline, "supervised_by": _person(principal).model_dump()},
        f"{actor} 督办：{body.note}；整改期限 {_local(deadline)}",
        f"{actor} took it in hand: {body.note}; deadline {_local(deadline)}",
        {"rectify_by": deadline},
    )


def _local(at: datetime) -> str:
    """Show a time as schools read it (China time)."""
    return at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


async def act(
    *,
    db: AsyncDatabase[Document],
    policies: PolicyBook,
    principal: Principal,
    hazard_id: str,
    body: ActionBody,
) -> Document:
    """Take `body.action` on a hazard; return the hazard after it."""
    action = Action(body.action)
    check_action(principal, action.value)
    for _ in range(ATTEMPTS):
        doc = await repository.get(db, hazard_id)
        if doc is None or not can_see(principal, doc):
            raise not_found("隐患", "Hazard")
        status = HazardStatus(doc["status"])
        after = lifecycle.next_status(status, action)
        if after is None:
            raise illegal(status, action)
        refused = lifecycle.refusal(principal, doc, action)
        if refused is not None:
            raise ApiError(403, "not_this_person", *refused)
        now = utc_now()
        policy, _ = await policies.for_path(doc["grid_path"])
        change = await _plan(db, principal, doc, body, policy, now)
        note = next(
            (getattr(body, name) for name in ("reason", "note", "measures") if hasattr(body, name)),
            None,
        )
        update = _update(doc, principal, action, after, change, policy, now, note)
        if await repository.update_if_version(db, hazard_id, doc["version"], update):
            timer = (hazard_id, doc["version"] + 1, update["$set"]["next_check_at"])
            await timer_hints.note(db, [timer])
            return await repository.get(db, hazard_id) or doc
    raise ApiError(
        409,
        "changed_meanwhile",
        "隐患正被他人同时修改，请刷新后重试",
        "The hazard is being changed by someone else; reload and retry",
    )


def _update(
    doc: Document,
    principal: Principal,
    action: Action,
    after: HazardStatus,
    change: Change,
    policy: DeadlinePolicy,
    now: datetime,
    note: str | None,
) -> Document:
    """Return the single write: new fields, the timeline entry, and the events in the outbox."""
    state = {**doc, **change.fields, "status": after.value}
    version = doc["version"] + 1
    level = int(doc.get("escalation_level", 0))
    accept_by = None if state.get("accepted_at") else state.get("accept_by")
    next_check = escalation.after_action(
        after,
        accept_by,
        state.get("rectify_by"),
        level,
        now,
        policy.escalation_step(doc.get("risk_grade")),
    )
    fields = {
        **change.fields,
        "status": after.value,
        "next_check_at": next_check,
        "updated_at": now,
        "version": version,
    }
    assignee = state.get("assignee")
    timeline_entry = entry(
        action.value,
        change.note_zh,
        change.note_en,
        actor=_person(principal),
        responsible=PersonRef.model_validate(assignee) if assignee else None,
        at=now,
        status=after,
        details=change.details,
    )
    events = hazard_events.transitioned(
        {**state, "version": version},
        action,
        HazardStatus(doc["status"]),
        _person(principal),
        note,
    )
    return {
        "$set": fields,
        "$push": {"timeline": appended(timeline_entry), **push_outbox(*events)["$push"]},
    }
