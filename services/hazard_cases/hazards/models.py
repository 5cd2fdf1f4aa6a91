"""Hazards as clients see them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from shared.events import PersonRef
from shared.vocabulary import HazardCategory, HazardStatus, RiskGrade


class TimelineEntry(BaseModel):
    """One step of a hazard's history: who did what, when, and who answered for it then."""

    at: datetime
    action: str
    actor: PersonRef | None
    responsible: PersonRef | None
    note_zh: str
    note_en: str


class HazardRead(BaseModel):
    """A hazard case."""

    hazard_id: str
    status: HazardStatus
    status_label_zh: str
    category: HazardCategory
    category_label_zh: str
    description: str
    point_id: str | None
    point_name: str | None
    school_name: str | None
    grid_id: str
    risk_grade: RiskGrade | None
    reporter: PersonRef
    assignee: PersonRef | None
    escalation_chain: list[PersonRef] = Field(description="Whom it escalates to, nearest first")
    photo_ids: list[str]
    reported_at: datetime
    updated_at: datetime
    version: int
    timeline: list[TimelineEntry]


class HazardPage(BaseModel):
    """One page of hazards, newest first."""

    items: list[HazardRead]
    total: int
