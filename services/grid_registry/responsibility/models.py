"""Models of the "who answers for this place" query."""

from __future__ import annotations

from pydantic import BaseModel, Field

from shared.events import ChainLink, PersonRef


class ResponsibilityRead(BaseModel):
    """The person who answers for a place, and whom it escalates to, in order."""

    grid_id: str
    point_id: str | None
    responsible: PersonRef | None = Field(description="None marks a blind spot (盲区)")
    escalation_chain: list[ChainLink] = Field(description="Heads of the grids above, nearest first")
    school_name: str | None
