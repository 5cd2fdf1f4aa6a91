"""The board: one row per hazard, as the command centre shows it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from shared.events import PersonRef
from shared.vocabulary import HazardCategory, HazardStatus, RiskGrade


class BoardRow(BaseModel):
    """A hazard on the board."""

    hazard_id: str
    status: HazardStatus
    status_label_zh: str
    status_label_en: str
    category: HazardCategory
    category_label_zh: str
    category_label_en: str = ""
    risk_grade: RiskGrade | None
    description: str
    school_name: str | None
    point_name: str | None
    grid_name: str | None = Field(
        None, description="The grid's name: the place of a report without a point"
    )
    reporter: PersonRef
    assignee: PersonRef | None
    rectify_by: datetime | None = Field(None, description="The rectification deadline")
    escalation_level: int = Field(0, description="Levels the hazard has climbed (overdue)")
    escalated_to: PersonRef | None = None
    flag_reason: str | None = Field(
        None, description="Why the county must look at it now (its place could not be read)"
    )
    reported_at: datetime
    updated_at: datetime


class BoardCounts(BaseModel):
    """How many hazards are in each status."""

    total: int
    by_status: dict[str, int]


class ParkedAlert(BaseModel):
    """A message a service gave up on, waiting for an operator (/v1/parked-messages)."""

    parked_id: str
    service: str
    queue: str
    hazard_id: str | None
    error: str
    parked_at: datetime


class ParkedAlerts(BaseModel):
    """The failed messages of the operator's area still waiting, the newest first."""

    count: int
    latest: list[ParkedAlert]


class Board(BaseModel):
    """What the live page polls."""

    rows: list[BoardRow]
    counts: BoardCounts
    alerts: ParkedAlerts | None = Field(
        None, description="Failed messages waiting (county operators only)"
    )
