"""Models of the "who answers for this place, when" query."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from shared.refs import ChainLink, PersonRef
from shared.responsibility import SlotKind


class ResponsibilityRead(BaseModel):
    """The person who answers for a place at a moment, and whom it escalates to, in order."""

    grid_id: str
    point_id: str | None
    at: datetime = Field(description="The moment asked about (now, or a past moment: 责任倒查)")
    responsible: PersonRef | None = Field(description="None marks a blind spot (盲区)")
    slot: SlotKind | None = Field(description="The time slot whose assignment answered")
    slot_label_zh: str | None
    members: list[PersonRef] = Field(description="Grid members at that moment (一格三员)")
    escalation_chain: list[ChainLink] = Field(description="Heads of the grids above, nearest first")
    overlays: list[ChainLink] = Field(description="Bureau leaders assigned here (包乡包校)")
    school_name: str | None
