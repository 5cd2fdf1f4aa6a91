"""The closed loop as a table: which action is allowed in which state, where it leads, and which
person may take it (发现-上报-整改-验证-销号). Which roles may ever take each action is the
matrix's (services/hazard_cases/access.py), checked before this.

    reported → assigned → rectifying → rectified → closed
    reported/assigned → rejected (not a hazard, with a reason)
    reported/assigned/rectifying → merged (a duplicate of another hazard)
    rectified → rectifying (verification failed: reopened, with the reason)
    closed → rectifying (the problem came back: reopened, with the reason)

Pure logic: no database, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from shared.auth import Principal
from shared.vocabulary import HazardStatus


class Action(StrEnum):
    """What someone does to a hazard."""

    ASSIGN = "assign"  # a manager gives it to a person of their subtree (or takes it back)
    ACCEPT = "accept"  # the assignee accepts and starts rectifying (签收)
    SUBMIT_RECTIFICATION = "submit_rectification"  # the assignee reports it fixed, with evidence
    VERIFY = "verify"  # someone else checks the fix and closes it (验收销号)
    FAIL_VERIFICATION = "fail_verification"  # the check failed: back to rectifying
    REOPEN = "reopen"  # the problem came back after closing
    REJECT = "reject"  # not a hazard
    MERGE = "merge"  # a duplicate of another open hazard
    RECORD_INTERIM = "record_interim"  # cannot be fixed in time: interim measures, new date asked
    APPROVE_EXTENSION = "approve_extension"  # the level above approves the new date
    SUPERVISE = "supervise"  # a leader takes it in hand (督办): escalation stops, new deadline


ACTION_LABELS: dict[Action, tuple[str, str]] = {
    Action.ASSIGN: ("分派", "assign"),
    Action.ACCEPT: ("签收并开始整改", "accept and start rectifying"),
    Action.SUBMIT_RECTIFICATION: ("提交整改结果", "submit the rectification"),
    Action.VERIFY: ("验收销号", "verify and close"),
    Action.FAIL_VERIFICATION: ("验收不通过", "fail the verification"),
    Action.REOPEN: ("重新打开", "reopen"),
    Action.REJECT: ("判定不是隐患", "reject as not a hazard"),
    Action.MERGE: ("合并到其他隐患", "merge into another hazard"),
    Action.RECORD_INTERIM: ("登记临时管控措施并申请延期", "record interim measures, ask for time"),
    Action.APPROVE_EXTENSION: ("批准延期", "approve the new deadline"),
    Action.SUPERVISE: ("督办", "take in hand (supervise)"),
}

S = HazardStatus
# status → {action: status after}
TRANSITIONS: dict[HazardStatus, dict[Action, HazardStatus]] = {
    S.REPORTED: {Action.ASSIGN: S.ASSIGNED, Action.REJECT: S.REJECTED, Action.MERGE: S.MERGED},
    S.ASSIGNED: {
        Action.ACCEPT: S.RECTIFYING,
        Action.ASSIGN: S.ASSIGNED,
        Action.REJECT: S.REJECTED,
        Action.MERGE: S.MERGED,
        Action.SUPERVISE: S.ASSIGNED,
    },
    S.RECTIFYING: {
        Action.SUBMIT_RECTIFICATION: S.RECTIFIED,
        Action.RECORD_INTERIM: S.RECTIFYING,
        Action.APPROVE_EXTENSION: S.RECTIFYING,
        Action.ASSIGN: S.ASSIGNED,
        Action.MERGE: S.MERGED,
        Action.SUPERVISE: S.RECTIFYING,
    },
    S.RECTIFIED: {Action.VERIFY: S.CLOSED, Action.FAIL_VERIFICATION: S.RECTIFYING},
    S.CLOSED: {Action.REOPEN: S.RECTIFYING},
    S.REJECTED: {},
    S.MERGED: {},
}

OPEN_STATUSES = frozenset({S.REPORTED, S.ASSIGNED, S.RECTIFYING, S.RECTIFIED})
# Statuses in which the deadline runs (a rectified hazard waits for its verification).
DEADLINE_RUNS = frozenset({S.ASSIGNED, S.RECTIFYING})

ASSIGNEE_ACTIONS = frozenset({Action.ACCEPT, Action.SUBMIT_RECTIFICATION, Action.RECORD_INTERIM})


def allowed(status: HazardStatus) -> list[Action]:
    """Return the actions allowed in `status`, in the table's order."""
    return list(TRANSITIONS[status])


def next_status(status: HazardStatus, action: Action) -> HazardStatus | None:
    """Return where `action` leads from `status`, or None if it is not allowed there."""
    return TRANSITIONS[status].get(action)


def refusal(principal: Principal, doc: Mapping[str, Any], action: Action) -> tuple[str, str] | None:
    """Return why the caller may not take `action` on this hazard (zh, en), or None if they may.

    The caller's roles were admitted to the action already (access.py) and the state is
    checked separately (409); this is about the person (403): the assignee's own steps, a
    manager of the hazard's grid for the others, never the rectifier's own verification.
    """
    user = principal.user_id
    assignee = (doc.get("assignee") or {}).get("person_id")
    if action in ASSIGNEE_ACTIONS:
        if user != assignee:
            return ("只有整改责任人可以执行此操作", "Only the person assigned can do this")
        return None
    if not principal.covers(doc["grid_path"]):
        return ("只有本网格的管理人员可以执行此操作", "Only managers of this grid can do this")
    if action in (Action.VERIFY, Action.FAIL_VERIFICATION):
        rectifier = (doc.get("rectified_by") or {}).get("person_id")
        if user in (rectifier, assignee):
            return (
                "整改人不能验收自己的整改，请由其他人员验收",
                "The rectifier cannot verify their own work; someone else must",
            )
    if action == Action.APPROVE_EXTENSION:
        requested_by = ((doc.get("extension_request") or {}).get("by") or {}).get("person_id")
        if user in (requested_by, assignee):
            return (
                "延期须由上一级批准，不能由申请人本人批准",
                "The level above must approve; not the person who asked",
            )
    return None


def verifier(doc: Mapping[str, Any]) -> dict[str, Any] | None:
    """Return whom a rectified hazard is put to for verification: the nearest head of a school
    or a grid above it (opening.VERIFYING_LEVELS), never the rectifier or the assignee (as
    `refusal` says), or None."""
    barred = {
        (doc.get("assignee") or {}).get("person_id"),
        (doc.get("rectified_by") or {}).get("person_id"),
    }
    # Hazards opened before verifiers were kept fall back to their escalation chain.
    chain = doc.get("verifiers") or doc.get("escalation_chain") or []
    return next((dict(person) for person in chain if person["person_id"] not in barred), None)
