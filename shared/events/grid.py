"""Events of the grid registry: the grid tree and its risk points changed.

Other services keep their own copy of what they need from these (who answers for a point,
the grid path for scope checks), so the registry is not on their hot paths. Each carries the
whole current state and a version, so a consumer can apply them in any order.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shared.events.base import Event
from shared.vocabulary import GridLevel, HazardCategory, RiskGrade


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


class GridChanged(Event, routing_key="grid_registry.grid.changed"):
    """A grid was created or changed (name, head, place in the tree)."""

    grid_id: str
    parent_id: str | None
    path: str = Field(description="Materialized path of grid ids, '/a/b/c/'")
    level: GridLevel
    name: str
    head: PersonRef | None
    version: int


class RiskPointChanged(Event, routing_key="grid_registry.risk_point.changed"):
    """A risk point was created or changed, with who answers for it now."""

    point_id: str
    name: str
    category: HazardCategory
    risk_grade: RiskGrade
    grid_id: str
    grid_path: str
    grid_name: str
    school_name: str | None
    responsible: PersonRef | None
    escalation_chain: tuple[ChainLink, ...]
    version: int
