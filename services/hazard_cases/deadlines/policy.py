"""How long a hazard may take, by risk grade and category, and how fast it climbs when late.

The defaults follow the field's practice (red 24 h, orange 3 days, yellow 7 days, blue 15 days;
a red hazard is a major hazard, 重大隐患, listed for supervision by the bureau, 挂牌督办). A
county may set its own policy; a hazard uses the policy of the nearest grid above it that has
one, else the defaults.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.vocabulary import HazardCategory, RiskGrade

# A report on a grid (no risk point, so no grade) is treated as this grade until someone grades it.
UNGRADED = RiskGrade.YELLOW


class GradeRule(BaseModel):
    """Time limits of one risk grade, in hours."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rectify_hours: float = Field(gt=0, le=24 * 365, description="From report to rectification")
    acknowledge_hours: float = Field(gt=0, le=24 * 30, description="To accept an assignment")
    escalate_every_hours: float = Field(
        gt=0, le=24 * 30, description="Each level's own timer once the hazard climbs"
    )


DEFAULT_GRADES: dict[RiskGrade, GradeRule] = {
    RiskGrade.RED: GradeRule(rectify_hours=24, acknowledge_hours=2, escalate_every_hours=4),
    RiskGrade.ORANGE: GradeRule(rectify_hours=72, acknowledge_hours=8, escalate_every_hours=12),
    RiskGrade.YELLOW: GradeRule(rectify_hours=168, acknowledge_hours=24, escalate_every_hours=24),
    RiskGrade.BLUE: GradeRule(rectify_hours=360, acknowledge_hours=48, escalate_every_hours=48),
}

# Categories where children's lives are at stake get at most this long, whatever the grade.
DEFAULT_CATEGORY_CAPS: dict[HazardCategory, float] = {
    HazardCategory.FOOD_HYGIENE: 72,
    HazardCategory.HAZARDOUS_CHEMICALS: 72,
    HazardCategory.DROWNING: 72,
    HazardCategory.BULLYING: 72,
}


class DeadlinePolicy(BaseModel):
    """A county's deadline policy (editable by its operators)."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "grades": {
                        "red": {
                            "rectify_hours": 24,
                            "acknowledge_hours": 2,
                            "escalate_every_hours": 4,
                        },
                        "orange": {
                            "rectify_hours": 72,
                            "acknowledge_hours": 8,
                            "escalate_every_hours": 12,
                        },
                        "yellow": {
                            "rectify_hours": 168,
                            "acknowledge_hours": 24,
                            "escalate_every_hours": 24,
                        },
                        "blue": {
                            "rectify_hours": 360,
                            "acknowledge_hours": 48,
                            "escalate_every_hours": 48,
                        },
                    },
                    "category_caps_hours": {"food_hygiene": 72, "drowning": 72},
                    "major_grades": ["red"],
                    "duplicate_window_hours": 72,
                }
            ]
        },
    )

    grades: dict[RiskGrade, GradeRule] = Field(
        default_factory=lambda: dict(DEFAULT_GRADES),
        description="Every grade's limits (all four grades are required)",
    )
    category_caps_hours: dict[HazardCategory, Annotated[float, Field(gt=0, le=24 * 365)]] = Field(
        default_factory=lambda: dict(DEFAULT_CATEGORY_CAPS),
        description="Longest rectification time of a category, whatever the grade",
    )
    major_grades: tuple[RiskGrade, ...] = Field(
        (RiskGrade.RED,),
        max_length=len(RiskGrade),
        description="Grades that make a hazard major (重大隐患, 挂牌督办)",
    )
    duplicate_window_hours: float | None = Field(
        None,
        ge=0,
        le=24 * 90,
        description="A report on the same point and category joins the open hazard reported "
        "within this many hours (0: never; null: the service's setting)",
    )

    @model_validator(mode="after")
    def _every_grade(self) -> Self:
        missing = [grade.value for grade in RiskGrade if grade not in self.grades]
        if missing:
            raise ValueError(
                f"缺少风险等级的时限：{', '.join(missing)} | "
                f"Limits missing for grades: {', '.join(missing)}"
            )
        return self

    def rule(self, grade: RiskGrade | None) -> GradeRule:
        """Return the limits of a grade (ungraded reports count as yellow)."""
        return self.grades[grade or UNGRADED]

    def rectify_by(
        self, grade: RiskGrade | None, category: HazardCategory, reported_at: datetime
    ) -> datetime:
        """Return the rectification deadline of a hazard reported at `reported_at`."""
        hours = self.rule(grade).rectify_hours
        cap = self.category_caps_hours.get(category)
        if cap is not None:
            hours = min(hours, cap)
        return reported_at + timedelta(hours=hours)

    def acknowledge_by(self, grade: RiskGrade | None, assigned_at: datetime) -> datetime:
        """Return when an assignment must have been accepted."""
        return assigned_at + timedelta(hours=self.rule(grade).acknowledge_hours)

    def escalation_step(self, grade: RiskGrade | None) -> timedelta:
        """Return how long each level has before the hazard climbs to the next."""
        return timedelta(hours=self.rule(grade).escalate_every_hours)

    def is_major(self, grade: RiskGrade | None) -> bool:
        """Tell whether a hazard of this grade is major (listed for the bureau's supervision)."""
        return grade in self.major_grades


DEFAULT_POLICY = DeadlinePolicy()
