"""Events of hazard case management: the closed loop of each hazard."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from shared.events.base import Event
from shared.refs import PersonRef
from shared.vocabulary import HazardCategory, HazardStatus, RiskGrade


class HazardOpened(Event, routing_key="hazard_cases.hazard.opened"):
    """A report became a hazard case."""

    hazard_id: str
    report_id: str
    point_id: str | None
    point_name: str | None
    grid_id: str
    grid_path: str
    school_name: str | None
    category: HazardCategory
    risk_grade: RiskGrade | None
    description: str
    reporter: PersonRef
    status: HazardStatus
    reported_at: datetime
    version: int = Field(description="Hazard version after this change; newer wins")


class HazardAssigned(Event, routing_key="hazard_cases.hazard.assigned"):
    """A hazard was given to the person who must rectify it."""

    hazard_id: str
    grid_path: str
    category: HazardCategory
    description: str
    point_name: str | None
    assignee: PersonRef
    assigned_by: str = Field(description="'system' for automatic assignment, else a person id")
    status: HazardStatus
    version: int = Field(description="Hazard version after this change; newer wins")
