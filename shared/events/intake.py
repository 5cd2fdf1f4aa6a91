"""Events of hazard intake: what teachers and grid members submitted.

Hazard reports, patrols of risk points (巡查), the classes' morning and noon health checks
(晨午检) and duty check-ins (值班签到).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.events.base import Event
from shared.fields import SingleLineText, Text
from shared.refs import PersonRef
from shared.vocabulary import HazardCategory


class GeoPoint(BaseModel):
    """A GPS position (WGS-84)."""

    model_config = ConfigDict(frozen=True)

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


# Check-ins carry the hash of the body sent with their Idempotency-Key, as reports do: intake
# answers 422 for a key reused where it can tell, and a consumer must compare the rest.
CHECKIN_BODY_FINGERPRINT: Any = Field(
    None,
    description="Hash of the body sent with the key: a later event under the same id with "
    "another hash is a reused key, not a redelivery",
)


class ReportSubmitted(Event, routing_key="hazard_intake.report.submitted"):
    """A hazard report was accepted at the front door (answered 202 after the broker confirmed)."""

    report_id: str = Field(description="Derived from reporter and Idempotency-Key: retries match")
    point_id: str | None
    grid_id: str = Field(description="The grid of the point, or the grid reported on")
    grid_path: str = Field(description="Materialized path of that grid, for scope checks")
    category: HazardCategory
    description: str
    location: GeoPoint | None
    photo_ids: tuple[str, ...]
    reporter: PersonRef
    reporter_scope: tuple[str, ...] = Field(description="Grid paths the reporter may act in")
    submitted_at: datetime | None = Field(None, description="Phone clock when written (offline)")
    received_at: datetime
    body_fingerprint: str | None = Field(
        None,
        description="Hash of the body sent with the key: a second report under one id with "
        "another hash reused its key, and is refused (ReportKeyReused)",
    )


class CheckResult(BaseModel):
    """The answer to one item of a risk point's check list."""

    model_config = ConfigDict(frozen=True)

    item: SingleLineText = Field(
        min_length=1, max_length=200, description="As worded in the check list"
    )
    ok: bool = Field(description="true: as it should be; false: a problem was found")
    note: Text | None = Field(None, max_length=500, description="What was seen (optional)")


class PatrolCheckedIn(Event, routing_key="hazard_intake.patrol.checked_in"):
    """Someone patrolled a risk point (presence proved by its QR code) and went through its list."""

    patrol_id: str = Field(description="Derived from patroller and Idempotency-Key: retries match")
    point_id: str
    point_name: str
    grid_id: str
    grid_path: str = Field(description="Materialized path of the point's grid, for scope checks")
    patroller: PersonRef
    results: tuple[CheckResult, ...] = Field(description="One per item of the point's check list")
    any_problem: bool = Field(description="Whether any item was answered not ok")
    location: GeoPoint | None
    photo_ids: tuple[str, ...]
    checked_at: datetime = Field(description="Phone clock when the patrol was done (offline)")
    received_at: datetime
    body_fingerprint: str | None = CHECKIN_BODY_FINGERPRINT


class HealthCheckSession(StrEnum):
    """Which of the daily health checks (晨午检)."""

    MORNING = "morning"  # 晨检
    NOON = "noon"  # 午检


class Symptom(StrEnum):
    """What an ill student shows (因病缺勤症状)."""

    FEVER = "fever"  # 发热
    COUGH = "cough"  # 咳嗽
    DIARRHOEA_VOMITING = "diarrhoea_vomiting"  # 腹泻、呕吐
    RASH = "rash"  # 皮疹
    OTHER = "other"  # 其他（须说明）


class IllStudent(BaseModel):
    """One ill student, with nothing that identifies them (no name, number or contact)."""

    model_config = ConfigDict(frozen=True)

    symptoms: tuple[Symptom, ...] = Field(min_length=1)
    other_symptom: str | None = Field(None, description="What 'other' is")
    absent: bool = Field(
        True, description="true: absent for illness; false: at school, found ill at the check"
    )
    note: str | None = Field(None, description="Symptoms only, e.g. 'fever since last night'")


class HealthCheckSubmitted(Event, routing_key="hazard_intake.health_check.submitted"):
    """A class's morning or noon health check (晨午检) was submitted."""

    health_check_id: str = Field(description="Derived from submitter and Idempotency-Key")
    grid_id: str = Field(description="The class's grid, or the school's grid")
    grid_path: str
    class_name: str
    session: HealthCheckSession
    check_date: date = Field(description="The school day checked (China time)")
    enrolled: int | None = Field(description="Students on the class list, when given")
    present: int
    absent: int
    absent_ill: int = Field(description="Of the absent, how many for illness")
    ill_students: tuple[IllStudent, ...]
    checked_by: PersonRef
    checked_at: datetime | None = Field(None, description="Phone clock when submitted (offline)")
    received_at: datetime
    body_fingerprint: str | None = CHECKIN_BODY_FINGERPRINT


class DutyShift(StrEnum):
    """The kind of duty (值班) being checked in or out of."""

    DAY = "day"  # 日间值班
    NIGHT = "night"  # 夜间值班
    HOLIDAY = "holiday"  # 节假日值班


class DutyAction(StrEnum):
    """Starting or ending a duty shift."""

    CHECK_IN = "check_in"  # 到岗签到
    CHECK_OUT = "check_out"  # 离岗签退


class DutyCheckedIn(Event, routing_key="hazard_intake.duty.checked_in"):
    """The person on duty at a grid (school, township, bureau) checked in or out (值班签到)."""

    duty_checkin_id: str = Field(description="Derived from the person and Idempotency-Key")
    grid_id: str
    grid_path: str
    grid_name: str
    person: PersonRef
    action: DutyAction
    shift: DutyShift
    note: str | None
    location: GeoPoint | None
    checked_at: datetime = Field(description="Phone clock when checked in or out (offline)")
    received_at: datetime
    body_fingerprint: str | None = CHECKIN_BODY_FINGERPRINT
