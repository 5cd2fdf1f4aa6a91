"""Events of the grid registry: the grid tree and its risk points changed.

Other services keep their own copy of what they need from these (who answers for a point,
the grid path for scope checks), so the registry is not on their hot paths. Each carries the
whole current state and a version, so a consumer can apply them in any order.
"""

from __future__ import annotations

import hashlib
from typing import Literal

from pydantic import Field

from shared.events.base import Event
from shared.refs import ChainLink, PersonRef
from shared.responsibility import Assignment, Calendar
from shared.vocabulary import GridLevel, HazardCategory, RiskGrade


def qr_token_digest(token: str) -> str:
    """Return how a QR token is announced: its SHA-256 in hex, which cannot be turned back.

    Tokens are random (144 bits), so the digest reveals nothing that could be printed as a QR
    code; a consumer that is shown a token hashes it and compares.
    """
    return hashlib.sha256(token.encode()).hexdigest()


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
    qr_token_sha256: str | None = Field(
        None,
        description=(
            "SHA-256 (hex, see qr_token_digest) of the point's current QR token; None when it "
            "has no valid token. Announced again whenever a token is issued, replaced or revoked"
        ),
    )
    check_items: tuple[str, ...] = Field((), description="The point's check list, in order")


class AssignmentsChanged(Event, routing_key="grid_registry.assignments.changed"):
    """Who answers for a grid or risk point changed; carries its whole assignment history.

    Consumers keep the latest version per target and ask shared.responsibility.who_answers
    for the person at any moment (time slots, rotations, past moments).
    """

    target_kind: Literal["grid", "point"]
    target_id: str
    grid_path: str = Field(description="Path of the grid (or of the point's grid)")
    assignments: tuple[Assignment, ...]
    version: int


class CalendarChanged(Event, routing_key="grid_registry.calendar.changed"):
    """The school-day calendar (slots, holidays) of a grid's subtree changed."""

    grid_id: str
    grid_path: str
    calendar: Calendar | None = Field(description="None: the subtree uses its parent's")
    version: int
