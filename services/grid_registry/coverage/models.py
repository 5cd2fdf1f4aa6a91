"""Coverage figures: grids per level, blind spots, staff taking part (as the seeds report)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from shared.vocabulary import GridLevel


class GridBrief(BaseModel):
    """A grid named in a coverage list."""

    grid_id: str
    name: str
    level: GridLevel
    school_name: str | None
    persons: int = Field(description="People answering for it now (heads and members)")


class CoverageRead(BaseModel):
    """How well a subtree is covered now."""

    grid_id: str
    grids_total: int
    grids_by_level: dict[GridLevel, int]
    covered_pct: float = Field(description="Grids with a head at all hours, in % (seeds: 100%)")
    blind_spots: list[GridBrief] = Field(description="Grids nobody answers for (盲区), first 200")
    blind_spot_count: int
    outside_understaffed: list[GridBrief] = Field(
        description="Outside-school grids with fewer than three persons (一格三员), first 200"
    )
    outside_understaffed_count: int
    staff_total: int
    staff_taking_part: int
    staff_taking_part_pct: float = Field(description="Staff with a duty now, in % (seeds: >92%)")
    risk_points_total: int
    risk_points_by_grade: dict[str, int]
