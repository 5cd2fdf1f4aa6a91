"""Request and response models of risk points."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from shared.events import PersonRef
from shared.fields import Id, SingleLineText
from shared.vocabulary import HazardCategory, RiskGrade


class RiskPointCreate(BaseModel):
    """A named place inside a grid that must be watched (风险点)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "grid_id": "5b1e0c0e8f3a4b8e9d2a7c6f1e0d9c8b",
                    "name": "教学楼三楼东侧消防通道",
                    "category": "fire",
                    "risk_grade": "red",
                    "responsible_person_id": None,
                    "check_items": ["通道是否畅通", "灭火器是否在有效期内", "应急灯是否正常"],
                }
            ]
        },
    )

    grid_id: Id
    name: SingleLineText = Field(min_length=1, max_length=100)
    category: HazardCategory
    risk_grade: RiskGrade
    responsible_person_id: Id | None = Field(None, description="Defaults to the grid's head")
    check_items: list[Annotated[SingleLineText, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=50
    )


class RiskPointRead(BaseModel):
    """A risk point with who answers for it now."""

    point_id: str
    grid_id: str
    name: str
    category: HazardCategory
    risk_grade: RiskGrade
    check_items: list[str]
    responsible: PersonRef | None
    school_name: str | None
    version: int
    created_at: datetime
