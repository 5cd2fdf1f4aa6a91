"""References to people and grids carried by events and by shared.responsibility.

Kept outside shared.events so that shared.responsibility can use them without importing the
event catalogue (which itself uses shared.responsibility).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shared.vocabulary import GridLevel


class PersonRef(BaseModel):
    """A person as other services need to show and address them."""

    model_config = ConfigDict(frozen=True)

    person_id: str
    name: str


class ChainLink(BaseModel):
    """One step of an escalation chain: the head of a grid above."""

    model_config = ConfigDict(frozen=True)

    grid_id: str
    grid_name: str
    level: GridLevel
    person: PersonRef | None = Field(None, description="None marks a blind spot (no head)")
