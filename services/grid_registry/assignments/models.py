"""Assigning people (or rotations) to grids and risk points, by time slot."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from shared.fields import Day, Id, Moment, Text, check_interval
from shared.refs import PersonRef
from shared.responsibility import Duty, SlotKind


class RosterEntryIn(BaseModel):
    """One stretch of a holiday duty roster."""

    model_config = ConfigDict(extra="forbid")

    start: Day
    end: Day
    person_id: Id

    @field_validator("end")
    @classmethod
    def _not_before_start(cls, end: date, info: ValidationInfo) -> date:
        start: date | None = info.data.get("start")
        return check_interval(start, end, inclusive=True)


class RotationIn(BaseModel):
    """A duty that passes between people: a cycle (weekly duty, 值周) or a dated roster."""

    model_config = ConfigDict(extra="forbid")

    cycle_person_ids: list[Id] = Field(default_factory=list, max_length=60)
    period_days: int = Field(7, ge=1, le=366)
    anchor: Day | None = None
    roster: list[RosterEntryIn] = Field(default_factory=list, max_length=400)


class AssignmentCreate(BaseModel):
    """Make someone answer for a grid or risk point, in a slot, from a moment on."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "target_kind": "grid",
                    "target_id": "demo-zone-teaching",
                    "duty": "head",
                    "slot": "recess",
                    "rotation": {
                        "cycle_person_ids": ["demo-p-teacher", "demo-p-head"],
                        "period_days": 7,
                        "anchor": "2026-11-02",
                    },
                    "note": "课间值周教师轮值",
                }
            ]
        },
    )

    target_kind: Literal["grid", "point"]
    target_id: Id
    duty: Duty = Duty.HEAD
    slot: SlotKind = SlotKind.ALWAYS
    person_id: Id | None = None
    rotation: RotationIn | None = None
    valid_from: Moment | None = Field(
        None, description="With its offset; default: now; may be in the future"
    )
    note: Text | None = Field(None, max_length=200, description="Why (kept in the audit trail)")

    @model_validator(mode="after")
    def _person_or_rotation(self) -> Self:
        if (self.person_id is None) == (self.rotation is None):
            raise ValueError(
                "请指定人员（person_id）或轮值（rotation）之一 | Give person_id or rotation"
            )
        return self


class AssignmentEnd(BaseModel):
    """End an assignment (it stays in the history)."""

    model_config = ConfigDict(extra="forbid")

    valid_to: Moment | None = Field(None, description="With its offset; default: now")
    note: Text | None = Field(None, max_length=200)


class AssignmentRead(BaseModel):
    """An assignment with its target, as clients see it."""

    assignment_id: str
    target_kind: Literal["grid", "point"]
    target_id: str
    duty: Duty
    slot: SlotKind
    slot_label_zh: str
    person: PersonRef | None
    rotation_people: list[PersonRef]
    valid_from: datetime
    valid_to: datetime | None
