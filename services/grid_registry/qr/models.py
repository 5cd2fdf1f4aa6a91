"""QR tokens of risk points, and what scanning one tells the phone."""

from __future__ import annotations

from pydantic import BaseModel, Field

from shared.refs import PersonRef
from shared.vocabulary import HazardCategory, RiskGrade


class QrTokenRead(BaseModel):
    """A point's current QR token and what it encodes."""

    point_id: str
    token: str
    url: str = Field(description="What the printed QR code encodes")


class QrResolved(BaseModel):
    """What a logged-in user learns by scanning a point's QR code."""

    point_id: str
    point_name: str
    category: HazardCategory
    risk_grade: RiskGrade
    grid_id: str
    grid_name: str
    school_name: str | None
    responsible: PersonRef | None
    check_items: list[str]
