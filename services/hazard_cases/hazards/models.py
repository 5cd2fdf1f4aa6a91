"""Hazards as clients see them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.hazard_cases.hazards.lifecycle import Action
from shared.events import PersonRef
from shared.fields import Id, Moment, Text
from shared.vocabulary import HazardCategory, HazardStatus, RiskGrade


class TimelineEntry(BaseModel):
    """One step of a hazard's history: who did what, when, and who answered for it then."""

    at: datetime
    action: str
    actor: PersonRef | None = Field(description="Who did it (null: the system)")
    responsible: PersonRef | None = Field(description="Who answered for the hazard at that moment")
    status: HazardStatus | None = Field(None, description="The status after this step")
    note_zh: str
    note_en: str
    details: dict[str, Any] = Field(default_factory=dict)


class JoinedReport(BaseModel):
    """A later report on the same point and category, joined to an open hazard (or a hazard
    merged into it by a manager)."""

    report_id: str
    reporter: PersonRef
    description: str
    photo_ids: list[str] = Field(default_factory=list)
    received_at: datetime
    merged_by: PersonRef | None = Field(None, description="Who merged it in (null: it joined)")


class HazardRead(BaseModel):
    """A hazard case."""

    hazard_id: str
    status: HazardStatus
    status_label_zh: str
    category: HazardCategory
    category_label_zh: str
    category_label_en: str = ""
    description: str
    point_id: str | None
    point_name: str | None
    school_name: str | None
    grid_id: str
    grid_name: str | None = Field(None, description="The reported grid's name")
    risk_grade: RiskGrade | None
    reporter: PersonRef
    assignee: PersonRef | None
    escalation_chain: list[PersonRef] = Field(description="Whom it escalates to, nearest first")
    verifier: PersonRef | None = Field(
        None, description="Awaiting verification: the manager asked to verify it"
    )
    photo_ids: list[str] = Field(description="The finding's photos (before)")
    rectification_photo_ids: list[str] = Field(description="The evidence of the fix (after)")
    rectification_note: str | None
    reported_at: datetime
    rectify_by: datetime | None = Field(description="The rectification deadline")
    accept_by: datetime | None = Field(description="Accept the assignment by (until accepted)")
    overdue: bool = Field(description="Past its deadline and not rectified")
    major: bool = Field(description="Major hazard (重大隐患), listed for the bureau's supervision")
    escalation_level: int = Field(description="Levels climbed so far (0: none)")
    escalated_to: PersonRef | None
    interim_measures: str | None
    extension_request: dict[str, Any] | None
    linked_reports: list[dict[str, Any]] = Field(
        description="Later reports joined to this one: the first and the latest five "
        "(GET /v1/hazards/{id}/linked-reports lists every one)"
    )
    linked_count: int = Field(0, description="How many later reports joined this one")
    linked_reporters_count: int = Field(0, description="How many people those reports came from")
    merged_into: str | None
    rejection_reason: str | None
    reopen_count: int
    flagged: bool = Field(
        description="The county must look at it: a message about it failed and waits for an "
        "operator (/v1/parked-messages), or its place's data could not be read (place_problem)"
    )
    place_problem: str | None = Field(
        None,
        description="Why it could not be assigned: the registry data of its place could not be "
        "read (it is assigned once it can)",
    )
    closed_at: datetime | None
    allowed_actions: list[Action] = Field(description="Actions the current status allows")
    updated_at: datetime
    version: int
    timeline: list[TimelineEntry]


class HazardPage(BaseModel):
    """One page of hazards, newest first."""

    items: list[HazardRead]
    total: int


class _ActionBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AssignBody(_ActionBody):
    """Give the hazard to a person who holds a responsibility in your subtree."""

    action: Literal[Action.ASSIGN]
    person_id: Id
    note: Text | None = Field(None, max_length=500)
    new_deadline: Moment | None = Field(
        None, description="Optional new rectification deadline, with its offset"
    )


class AcceptBody(_ActionBody):
    """Accept the assignment and start rectifying (签收)."""

    action: Literal[Action.ACCEPT]
    note: Text | None = Field(None, max_length=500)


class SubmitRectificationBody(_ActionBody):
    """Report the hazard fixed, with photos of the result (整改完成)."""

    action: Literal[Action.SUBMIT_RECTIFICATION]
    note: Text = Field(min_length=2, max_length=1000, description="What was done")
    photo_ids: list[Id] = Field(
        min_length=1, max_length=9, description="Rectification evidence (media ids)"
    )


class VerifyBody(_ActionBody):
    """Check the fix against the finding and close the hazard (验收销号)."""

    action: Literal[Action.VERIFY]
    note: Text | None = Field(None, max_length=500)


class FailVerificationBody(_ActionBody):
    """The fix does not hold: back to rectifying, with the reason."""

    action: Literal[Action.FAIL_VERIFICATION]
    reason: Text = Field(min_length=2, max_length=500)
    new_deadline: Moment | None = Field(
        None, description="With its offset; default: a fresh full period"
    )


class ReopenBody(_ActionBody):
    """The problem came back after closing: back to rectifying, with the reason."""

    action: Literal[Action.REOPEN]
    reason: Text = Field(min_length=2, max_length=500)
    new_deadline: Moment | None = Field(
        None, description="With its offset; default: a fresh full period"
    )


class RejectBody(_ActionBody):
    """Not a hazard (the reporter is told the reason)."""

    action: Literal[Action.REJECT]
    reason: Text = Field(min_length=2, max_length=500)


class MergeBody(_ActionBody):
    """A duplicate: merge into another open hazard you may see."""

    action: Literal[Action.MERGE]
    into_hazard_id: Id
    note: Text | None = Field(None, max_length=500)


class RecordInterimBody(_ActionBody):
    """It cannot be fixed in time: the interim control measures taken, and the date asked for."""

    action: Literal[Action.RECORD_INTERIM]
    measures: Text = Field(min_length=2, max_length=1000, description="临时管控措施")
    requested_deadline: Moment = Field(description="With its offset")


class ApproveExtensionBody(_ActionBody):
    """The level above approves a new deadline (the one asked for, or another)."""

    action: Literal[Action.APPROVE_EXTENSION]
    deadline: Moment | None = Field(
        None, description="With its offset; default: the date asked for"
    )
    note: Text | None = Field(None, max_length=500)


class SuperviseBody(_ActionBody):
    """A leader takes the hazard in hand (督办): escalation stops until the new deadline."""

    action: Literal[Action.SUPERVISE]
    note: Text = Field(min_length=2, max_length=500)
    new_deadline: Moment | None = Field(
        None, description="With its offset; default: one escalation period"
    )


ActionBody = Annotated[
    AssignBody
    | AcceptBody
    | SubmitRectificationBody
    | VerifyBody
    | FailVerificationBody
    | ReopenBody
    | RejectBody
    | MergeBody
    | RecordInterimBody
    | ApproveExtensionBody
    | SuperviseBody,
    Field(discriminator="action"),
]

ACTION_EXAMPLES = {
    "accept": {"value": {"action": "accept", "note": "已到现场查看"}},
    "submit_rectification": {
        "value": {
            "action": "submit_rectification",
            "note": "已清理杂物，更换灭火器两具",
            "photo_ids": ["01JD7Y3K2M4N5P6Q7R8S9T0V1W"],
        }
    },
    "verify": {"value": {"action": "verify", "note": "现场复查，通道畅通"}},
    "fail_verification": {"value": {"action": "fail_verification", "reason": "灭火器仍未更换"}},
    "assign": {"value": {"action": "assign", "person_id": "demo-person-teacher"}},
    "reject": {"value": {"action": "reject", "reason": "经核实为正常施工围挡"}},
    "supervise": {
        "value": {
            "action": "supervise",
            "note": "请于明日中午前完成整改",
            "new_deadline": "2026-11-24T12:00:00+08:00",
        }
    },
}
