"""Events of hazard case management: the closed loop of each hazard."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from shared.events.base import Event
from shared.refs import PersonRef
from shared.vocabulary import DispositionKind, HazardCategory, HazardStatus, RiskGrade


class HazardOpened(Event, routing_key="hazard_cases.hazard.opened"):
    """A report became a hazard case."""

    hazard_id: str
    report_id: str
    point_id: str | None
    point_name: str | None
    grid_id: str
    grid_path: str
    school_name: str | None
    grid_name: str | None = Field(
        None, description="The reported grid's name: the place of a report without a point"
    )
    category: HazardCategory
    risk_grade: RiskGrade | None
    description: str
    reporter: PersonRef
    status: HazardStatus
    reported_at: datetime
    photo_ids: tuple[str, ...] = Field((), description="The report's photos (media ids)")
    flag_reason: str | None = Field(
        None,
        description="Set when the county must look at it at once: why it could not be "
        "assigned (its place's data could not be read)",
    )
    version: int = Field(description="Hazard version after this change; newer wins")


class HazardAssigned(Event, routing_key="hazard_cases.hazard.assigned"):
    """A hazard was given to the person who must rectify it."""

    hazard_id: str
    grid_path: str
    category: HazardCategory
    description: str
    point_name: str | None
    school_name: str | None = Field(
        None, description="Known by now even when the registry's copy lagged at the opening"
    )
    grid_name: str | None = None
    assignee: PersonRef
    assigned_by: str = Field(description="'system' for automatic assignment, else a person id")
    status: HazardStatus
    version: int = Field(description="Hazard version after this change; newer wins")


class HazardTransitioned(Event, routing_key="hazard_cases.hazard.transitioned"):
    """Someone took an action on a hazard (accept, rectify, verify, reopen, reject, merge…)."""

    hazard_id: str
    grid_path: str
    category: HazardCategory
    risk_grade: RiskGrade | None
    description: str
    point_name: str | None
    school_name: str | None
    action: str = Field(description="The action taken (services/hazard_cases lifecycle)")
    from_status: HazardStatus
    status: HazardStatus
    actor: PersonRef
    assignee: PersonRef | None
    reporter: PersonRef
    rectify_by: datetime | None = Field(description="The rectification deadline after this")
    verifier: PersonRef | None = Field(
        None, description="On a rectification: the manager asked to verify it (验收)"
    )
    note: str | None = Field(None, description="The reason or note given, as written")
    merged_into: str | None = None
    photo_ids: tuple[str, ...] = Field((), description="Evidence photos of this step (media ids)")
    version: int = Field(description="Hazard version after this change; newer wins")


class HazardEscalated(Event, routing_key="hazard_cases.hazard.escalated"):
    """A hazard's timer ran out and it climbed one level up its grid chain."""

    hazard_id: str
    grid_path: str
    category: HazardCategory
    risk_grade: RiskGrade | None
    description: str
    point_name: str | None
    school_name: str | None
    level: int = Field(description="1 = the first level above the assignee")
    escalated_to: PersonRef
    reason: str = Field(description="not_accepted or overdue")
    due_at: datetime = Field(description="When the timer ran out")
    assignee: PersonRef | None
    status: HazardStatus
    rectify_by: datetime | None
    version: int = Field(description="Hazard version after this change; newer wins")


class ReportLinked(Event, routing_key="hazard_cases.report.linked"):
    """A report on a place and category that already had an open hazard joined that hazard."""

    report_id: str
    hazard_id: str
    grid_path: str
    grid_id: str | None = Field(None, description="The hazard's grid")
    point_id: str | None = Field(None, description="The hazard's risk point")
    reporter: PersonRef
    description: str = Field(description="What the later report said")
    verifier: PersonRef | None = Field(
        None,
        description="Set when the hazard awaits verification: the manager asked to verify it, "
        "who must hear that the problem was reported again",
    )
    photo_ids: tuple[str, ...] = Field((), description="The later report's photos (media ids)")
    hazard_status: HazardStatus
    version: int = Field(description="Hazard version after this change; newer wins")


class ReportKeyReused(Event, routing_key="hazard_cases.report.key_reused"):
    """A report arrived under the id of an earlier one with another body: its reporter reused an
    Idempotency-Key where intake could not tell at once (another replica, a forgotten key). It
    was not recorded; the reporter should send it again as a new report."""

    report_id: str = Field(description="The id both reports share (from reporter and key)")
    hazard_id: str = Field(description="The hazard the first report opened or joined")
    grid_path: str
    reporter: PersonRef
    description: str = Field(description="What the refused report said")
    received_at: datetime = Field(description="When intake accepted the refused report")


class AgencyAnswerNoted(Event, routing_key="hazard_cases.agency_answer.noted"):
    """An agency's disposition (出警, 检查, 立案…) joined a hazard's timeline; who answers for
    the hazard should hear of it. The hazard's status is unchanged."""

    hazard_id: str
    grid_path: str
    description: str
    point_name: str | None
    school_name: str | None
    assignee: PersonRef | None = Field(description="Who answers for the hazard now")
    agency_name: str
    kind: DispositionKind
    note: str = Field(description="What the agency wrote, as written")
    acted_at: datetime


class ParkedMessageKept(Event, routing_key="hazard_cases.parked_message.kept"):
    """A service gave up on a message after its retries; it waits for a county operator."""

    parked_id: str
    service: str = Field(description="The service whose handler gave up")
    queue: str
    event_type: str | None
    hazard_id: str | None = Field(description="The hazard it concerns (flagged), if it says")
    grid_path: str | None
    error: str
    parked_at: datetime
    sequence: int = Field(description="Changes of this parked message so far; newer wins")


class ParkedMessageResolved(Event, routing_key="hazard_cases.parked_message.resolved"):
    """An operator dealt with a parked message (replayed it, or judged it harmless)."""

    parked_id: str
    grid_path: str | None
    resolved_by: PersonRef
    replayed: bool = Field(description="Sent back to the queue that gave up on it")
    note: str
    resolved_at: datetime
    sequence: int = Field(description="Changes of this parked message so far; newer wins")
