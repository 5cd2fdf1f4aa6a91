"""What a phone sends for a patrol, a health check or a duty check-in, and what it gets back.

Checks that need only the request itself live here (duplicates, counts that must add up, no
identifying numbers in free text); checks against time or the registry's data are in rules.py
and service.py.
"""

from __future__ import annotations

import re
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from shared.events import (
    CheckResult,
    DutyAction,
    DutyShift,
    GeoPoint,
    HealthCheckSession,
    IllStudent,
    Symptom,
)
from shared.fields import Day, Id, Moment, SingleLineText, Text

MAX_PHOTOS = 9
MAX_CLASS_SIZE = 500  # a sanity bound: Chinese classes have at most ~70 students
# Seven or more digits in a row: a phone or ID number, which a health record must not hold.
_IDENTIFYING_NUMBER = re.compile(r"\d{7,}")


class PatrolCreate(BaseModel):
    """A patrol of a risk point: the QR code scanned there, and its check list answered."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "qr_token": "Zk3v9Qe1c2XbT0aLmN8pRs4W",
                    "results": [
                        {"item": "通道是否畅通", "ok": True},
                        {"item": "灭火器是否在有效期内", "ok": False, "note": "2 具已过期"},
                        {"item": "应急灯是否正常", "ok": True},
                    ],
                    "location": {"lat": 23.4761, "lon": 111.2791},
                    "photo_ids": [],
                    "checked_at": "2026-11-23T08:15:00+08:00",
                }
            ]
        },
    )

    qr_token: SingleLineText = Field(
        min_length=8,
        max_length=300,
        description=(
            "What the point's QR code encodes (the token, or the whole URL): the proof of "
            "presence. A point id alone is not accepted"
        ),
    )
    results: list[CheckResult] = Field(
        default_factory=list,
        max_length=50,
        description="One answer per item of the point's check list (GET :8001/v1/qr/{token})",
    )
    location: GeoPoint | None = None
    photo_ids: list[Id] = Field(default_factory=list, max_length=MAX_PHOTOS)
    checked_at: Moment = Field(
        description="Phone clock when the patrol was done, with time zone (earlier if offline)"
    )

    @field_validator("results")
    @classmethod
    def _each_item_once(cls, results: list[CheckResult]) -> list[CheckResult]:
        seen: set[str] = set()
        for result in results:
            item = result.item.strip()
            if item in seen:
                raise ValueError(f"检查项「{item}」填写了两次 | Check item '{item}' answered twice")
            seen.add(item)
        return results


class IllStudentIn(BaseModel):
    """One ill student: symptoms only. Names, student or ID numbers and phone numbers are not
    allowed anywhere in this record (free text with 7+ digits in a row is refused)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    symptoms: list[Symptom] = Field(
        min_length=1, max_length=5, description="fever, cough, diarrhoea_vomiting, rash, other"
    )
    other_symptom: SingleLineText | None = Field(
        None, max_length=50, description="Required when symptoms include 'other': what it is"
    )
    absent: bool = Field(
        True, description="true: absent for illness; false: at school, found ill at the check"
    )
    note: Text | None = Field(
        None, max_length=200, description="Symptoms only, e.g. '昨晚起发热 38.5℃'; no names"
    )

    @field_validator("other_symptom", "note")
    @classmethod
    def _nothing_identifying(cls, text: str | None) -> str | None:
        if text and _IDENTIFYING_NUMBER.search(text):
            raise ValueError(
                "请勿填写电话、身份证号或学号等个人信息，只写症状 | "
                "Do not write phone, ID or student numbers; describe symptoms only"
            )
        return text or None

    @model_validator(mode="after")
    def _other_is_named(self) -> Self:
        if Symptom.OTHER in self.symptoms and not self.other_symptom:
            raise ValueError(
                "选择“其他”症状时请在 other_symptom 中说明 | "
                "Say in other_symptom what the 'other' symptom is"
            )
        return self

    def to_event(self) -> IllStudent:
        """Return the record as the event carries it."""
        return IllStudent(
            symptoms=tuple(dict.fromkeys(self.symptoms)),
            other_symptom=self.other_symptom if Symptom.OTHER in self.symptoms else None,
            absent=self.absent,
            note=self.note,
        )


class HealthCheckCreate(BaseModel):
    """A class's morning or noon health check (晨午检): who is there, who is away ill and why.

    Counts must add up: present + absent = enrolled (when enrolled is given), absent for illness
    ≤ absent, and one ill_students entry (absent: true) per student absent for illness.
    """

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "grid_id": "demo-school",
                    "class_name": "三年级（2）班",
                    "session": "morning",
                    "check_date": "2026-11-23",
                    "enrolled": 45,
                    "present": 42,
                    "absent": 3,
                    "absent_ill": 2,
                    "ill_students": [
                        {"symptoms": ["fever", "cough"], "note": "昨晚起发热 38.5℃"},
                        {"symptoms": ["diarrhoea_vomiting"]},
                    ],
                    "checked_at": "2026-11-23T08:05:00+08:00",
                }
            ]
        },
    )

    grid_id: Id = Field(description="The class's grid, or the school's grid")
    class_name: SingleLineText | None = Field(
        None,
        min_length=1,
        max_length=50,
        description="Required with a school's grid; defaults to the name of a class's grid",
    )
    session: HealthCheckSession
    check_date: Day = Field(description="The school day checked (China time)")
    present: int = Field(ge=0, le=MAX_CLASS_SIZE, description="Students present (实到)")
    absent: int = Field(ge=0, le=MAX_CLASS_SIZE, description="Students absent (缺勤)")
    absent_ill: int = Field(ge=0, le=MAX_CLASS_SIZE, description="Of the absent, for illness")
    enrolled: int | None = Field(
        None, ge=0, le=MAX_CLASS_SIZE, description="Students on the class list (应到), optional"
    )
    ill_students: list[IllStudentIn] = Field(default_factory=list, max_length=MAX_CLASS_SIZE)
    checked_at: Moment | None = Field(None, description="Phone clock, with time zone")

    @field_validator("absent_ill")
    @classmethod
    def _ill_among_absent(cls, absent_ill: int, info: ValidationInfo) -> int:
        absent = info.data.get("absent")
        if absent is not None and absent_ill > absent:
            raise ValueError(
                f"因病缺勤人数（absent_ill={absent_ill}）不能多于缺勤人数（absent={absent}） | "
                f"absent_ill ({absent_ill}) cannot exceed absent ({absent})"
            )
        return absent_ill

    @field_validator("enrolled")
    @classmethod
    def _counts_add_up(cls, enrolled: int | None, info: ValidationInfo) -> int | None:
        present, absent = info.data.get("present"), info.data.get("absent")
        if enrolled is None or present is None or absent is None or present + absent == enrolled:
            return enrolled
        raise ValueError(
            f"实到（present={present}）加缺勤（absent={absent}）应等于应到人数"
            f"（enrolled={enrolled}） | present ({present}) + absent ({absent}) "
            f"must equal enrolled ({enrolled})"
        )

    @field_validator("ill_students")
    @classmethod
    def _one_record_per_ill_absence(
        cls, ill: list[IllStudentIn], info: ValidationInfo
    ) -> list[IllStudentIn]:
        absent_ill = info.data.get("absent_ill")
        away = sum(1 for student in ill if student.absent)
        if absent_ill is not None and away != absent_ill:
            raise ValueError(
                f"因病缺勤 {absent_ill} 人，应填写 {absent_ill} 条缺勤症状记录（现有 {away} 条） | "
                f"absent_ill is {absent_ill}: give one ill_students entry with absent=true each "
                f"(got {away})"
            )
        return ill


class DutyCheckinCreate(BaseModel):
    """The person on duty checking in (到岗) or out (离岗) at a school, township or bureau."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "grid_id": "demo-school",
                    "action": "check_in",
                    "shift": "night",
                    "note": "已巡查校门及宿舍楼",
                    "location": {"lat": 23.4761, "lon": 111.2791},
                    "checked_at": "2026-11-23T19:58:00+08:00",
                }
            ]
        },
    )

    grid_id: Id = Field(description="The school (or township, bureau) on duty")
    action: DutyAction
    shift: DutyShift
    note: Text | None = Field(None, max_length=500)
    location: GeoPoint | None = None
    checked_at: Moment | None = Field(
        None, description="Phone clock, with time zone (offline); defaults to when received"
    )


class CheckinAccepted(BaseModel):
    """A submission RabbitMQ has stored: safe to forget on the phone."""

    status: str = "accepted"
    message_zh: str = "已受理"
    message_en: str = "Accepted"


class PatrolAccepted(CheckinAccepted):
    """An accepted patrol."""

    patrol_id: str
    any_problem: bool = Field(description="Whether any check item was answered not ok")


class HealthCheckAccepted(CheckinAccepted):
    """An accepted health check."""

    health_check_id: str


class DutyCheckinAccepted(CheckinAccepted):
    """An accepted duty check-in or check-out."""

    duty_checkin_id: str
