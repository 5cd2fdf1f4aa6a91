"""Who answers for a place at a given moment: time slots, rotations and validity intervals.

Responsibility depends on where and when (时段全程无缝对接): the weekly duty teacher at recess,
the canteen manager at lunch, the holiday duty roster on a national holiday, the zone head the
rest of the time. The registry records assignments with their validity interval (nothing is
overwritten: a reassignment ends the old one), and this module answers "who, at time T" the same
way in every service: the registry's lookup and trace-back (责任倒查), and the case service when
it assigns a new hazard.

Pure logic, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from enum import StrEnum
from typing import Annotated, Self
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from shared.fields import Day, SingleLineText, TimeZoneName, check_interval
from shared.refs import ChainLink, PersonRef
from shared.vocabulary import GridLevel


class SlotKind(StrEnum):
    """When an assignment applies."""

    ALWAYS = "always"
    SCHOOL_DAY = "school_day"  # teaching hours on a school day
    RECESS = "recess"  # 课间
    LUNCH = "lunch"  # 午间
    SCHOOL_RUN = "school_run"  # 上下学
    EVENING = "evening"  # 晚间（寄宿）
    WEEKEND = "weekend"  # 周末
    HOLIDAY = "holiday"  # 节假日


SLOT_LABELS: dict[SlotKind, tuple[str, str]] = {
    SlotKind.ALWAYS: ("全天候", "At all times"),
    SlotKind.SCHOOL_DAY: ("在校时段", "School hours"),
    SlotKind.RECESS: ("课间", "Recess"),
    SlotKind.LUNCH: ("午间", "Lunch break"),
    SlotKind.SCHOOL_RUN: ("上下学时段", "School run"),
    SlotKind.EVENING: ("晚间", "Evening"),
    SlotKind.WEEKEND: ("周末", "Weekend"),
    SlotKind.HOLIDAY: ("节假日", "Holidays"),
}

# The narrower a slot, the more it says: a recess duty beats the all-day head.
DAILY_SLOT_PRIORITY = (
    SlotKind.RECESS,
    SlotKind.LUNCH,
    SlotKind.SCHOOL_RUN,
    SlotKind.EVENING,
    SlotKind.SCHOOL_DAY,
)


class Duty(StrEnum):
    """What an assignment makes a person."""

    HEAD = "head"  # 网格长 / the responsible person of a risk point
    MEMBER = "member"  # 网格员 (outside-school grids carry three persons: 一格三员)
    OVERLAY = "overlay"  # bureau leader assigned to a township or school (包乡包校)


class TimeWindow(BaseModel):
    """Hours of some weekdays (ISO weekdays: 1 = Monday … 7 = Sunday)."""

    model_config = ConfigDict(frozen=True)

    days: tuple[Annotated[int, Field(ge=1, le=7)], ...] = Field(
        (1, 2, 3, 4, 5), min_length=1, max_length=7
    )
    start: time
    end: time

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.end <= self.start:
            raise ValueError("结束时间须晚于开始时间 | end must be after start")
        return self

    def contains(self, weekday: int, moment: time) -> bool:
        """Tell whether a local weekday and time fall in this window."""
        return weekday in self.days and self.start <= moment < self.end


class Holiday(BaseModel):
    """A holiday period, both ends included (e.g. 国庆节 10-01 … 10-07)."""

    model_config = ConfigDict(frozen=True)

    name: SingleLineText = Field(min_length=1, max_length=50)
    start: Day
    end: Day

    @field_validator("end")
    @classmethod
    def _not_before_start(cls, end: date, info: ValidationInfo) -> date:
        start: date | None = info.data.get("start")
        return check_interval(start, end, inclusive=True)


# A calendar holds a few years of holidays at most, and a handful of windows per slot.
MAX_HOLIDAYS = 200
MAX_WINDOWS = 20


class Calendar(BaseModel):
    """The school day of a county or school: its windows, holidays and make-up workdays (调休)."""

    model_config = ConfigDict(frozen=True)

    timezone: TimeZoneName = Field("Asia/Shanghai", description="IANA name; must load")
    windows: dict[SlotKind, Annotated[tuple[TimeWindow, ...], Field(max_length=MAX_WINDOWS)]] = (
        Field(default_factory=dict)
    )
    holidays: tuple[Holiday, ...] = Field((), max_length=MAX_HOLIDAYS)
    makeup_workdays: tuple[Day, ...] = Field(
        (), max_length=MAX_HOLIDAYS, description="Weekend days that are school days (调休上班)"
    )

    def is_holiday(self, day: date) -> bool:
        """Tell whether `day` falls in a holiday."""
        return any(h.start <= day <= h.end for h in self.holidays)

    def active_slots(self, at: datetime) -> list[SlotKind]:
        """Return the slots that apply at `at`, most specific first (ALWAYS last)."""
        local = at.astimezone(ZoneInfo(self.timezone))
        day = local.date()
        if self.is_holiday(day) and day not in self.makeup_workdays:
            return [SlotKind.HOLIDAY, SlotKind.ALWAYS]
        weekday = local.isoweekday()
        if weekday >= 6:
            if day not in self.makeup_workdays:
                return [SlotKind.WEEKEND, SlotKind.ALWAYS]
            weekday = 1  # a make-up workday keeps a Monday's timetable
        moment = local.time()
        slots = [
            slot
            for slot in DAILY_SLOT_PRIORITY
            if any(window.contains(weekday, moment) for window in self.windows.get(slot, ()))
        ]
        return [*slots, SlotKind.ALWAYS]


def _windows(
    *spans: tuple[str, str], days: tuple[int, ...] = (1, 2, 3, 4, 5)
) -> tuple[TimeWindow, ...]:
    return tuple(
        TimeWindow(days=days, start=time.fromisoformat(a), end=time.fromisoformat(b))
        for a, b in spans
    )


DEFAULT_CALENDAR = Calendar(
    windows={
        SlotKind.SCHOOL_DAY: _windows(("07:30", "17:30")),
        SlotKind.RECESS: _windows(("09:35", "09:55"), ("10:35", "10:45"), ("14:45", "14:55")),
        SlotKind.LUNCH: _windows(("11:40", "13:30")),
        SlotKind.SCHOOL_RUN: _windows(("07:00", "07:50"), ("16:30", "17:30")),
        SlotKind.EVENING: _windows(("17:30", "22:00")),
    }
)


class RotationEntry(BaseModel):
    """One stretch of a duty roster: a person from `start` to `end` (both included)."""

    model_config = ConfigDict(frozen=True)

    start: date
    end: date
    person: PersonRef


class Rotation(BaseModel):
    """A duty that passes from person to person: weekly duty (值周) or a holiday roster."""

    model_config = ConfigDict(frozen=True)

    cycle: tuple[PersonRef, ...] = Field((), description="Members in turn, one per period")
    period_days: int = Field(7, ge=1, le=366, description="7 = a week per member")
    anchor: date | None = Field(None, description="First day of the first member's period")
    roster: tuple[RotationEntry, ...] = Field((), description="Explicit dates (holiday duty)")

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        if bool(self.cycle) == bool(self.roster):
            raise ValueError("轮值须为循环或排班表之一 | a rotation is either a cycle or a roster")
        if self.cycle and self.anchor is None:
            raise ValueError("循环轮值需要起始日期 | a cycle needs its anchor date")
        return self

    def person_on(self, day: date) -> PersonRef | None:
        """Return who is on duty on `day`."""
        if self.roster:
            for entry in self.roster:
                if entry.start <= day <= entry.end:
                    return entry.person
            return None
        assert self.anchor is not None
        index = ((day - self.anchor).days // self.period_days) % len(self.cycle)
        return self.cycle[index]


class Assignment(BaseModel):
    """A person (or a rotation) answering for a grid or point, in a slot, for a time interval."""

    model_config = ConfigDict(frozen=True)

    assignment_id: str
    duty: Duty = Duty.HEAD
    slot: SlotKind = SlotKind.ALWAYS
    person: PersonRef | None = None
    rotation: Rotation | None = None
    valid_from: datetime
    valid_to: datetime | None = Field(None, description="None while the assignment holds")

    @model_validator(mode="after")
    def _person_or_rotation(self) -> Self:
        if (self.person is None) == (self.rotation is None):
            raise ValueError("须指定人员或轮值之一 | give either a person or a rotation")
        return self

    def holds_at(self, at: datetime) -> bool:
        """Tell whether the assignment was in force at `at`."""
        return self.valid_from <= at and (self.valid_to is None or at < self.valid_to)

    def person_at(self, at: datetime, calendar: Calendar) -> PersonRef | None:
        """Return who this assignment names at `at` (the rotation's member on that day)."""
        if self.person is not None:
            return self.person
        assert self.rotation is not None
        return self.rotation.person_on(at.astimezone(ZoneInfo(calendar.timezone)).date())


class Answer(BaseModel):
    """Who answers for a place at a moment, and through which assignment and slot."""

    model_config = ConfigDict(frozen=True)

    person: PersonRef | None
    slot: SlotKind | None
    assignment_id: str | None


NOBODY = Answer(person=None, slot=None, assignment_id=None)


def who_answers(
    assignments: Iterable[Assignment],
    calendar: Calendar,
    at: datetime,
    duty: Duty = Duty.HEAD,
) -> Answer:
    """Return who holds `duty` at `at`: the most specific slot in force wins, then the latest."""
    held = sorted(
        (a for a in assignments if a.duty == duty and a.holds_at(at)),
        key=lambda a: a.valid_from,
        reverse=True,
    )
    for slot in calendar.active_slots(at):
        for assignment in held:
            if assignment.slot == slot:
                person = assignment.person_at(at, calendar)
                if person is not None:
                    return Answer(person=person, slot=slot, assignment_id=assignment.assignment_id)
    return NOBODY


def members_at(
    assignments: Iterable[Assignment], calendar: Calendar, at: datetime
) -> list[PersonRef]:
    """Return every person named by a member assignment in force at `at` (一格三员)."""
    people: list[PersonRef] = []
    for assignment in assignments:
        if assignment.duty == Duty.MEMBER and assignment.holds_at(at):
            person = assignment.person_at(at, calendar)
            if person is not None and person not in people:
                people.append(person)
    return people


def end_replaced(
    assignments: Sequence[Assignment], new: Assignment
) -> list[tuple[Assignment, datetime]]:
    """Return the assignments `new` replaces (same duty and slot, still open) and their end.

    A head or overlay per slot is one at a time: the old one ends when the new one starts.
    Members are added alongside each other, so none is replaced.
    """
    if new.duty == Duty.MEMBER:
        return []
    return [
        (old, new.valid_from)
        for old in assignments
        if old.duty == new.duty
        and old.slot == new.slot
        and old.valid_to is None
        and old.valid_from <= new.valid_from
    ]


class GridOnPath(BaseModel):
    """A grid on the way up from a place: its assignments and, if set, its calendar."""

    model_config = ConfigDict(frozen=True)

    grid_id: str
    name: str
    level: GridLevel
    assignments: tuple[Assignment, ...] = ()
    calendar: Calendar | None = None


class Resolution(BaseModel):
    """Who answers for a place at a moment, the chain above them, and the overlays."""

    model_config = ConfigDict(frozen=True)

    responsible: Answer
    members: tuple[PersonRef, ...]
    chain: tuple[ChainLink, ...]
    overlays: tuple[ChainLink, ...]
    school_name: str | None


def _link(grid: GridOnPath, person: PersonRef | None) -> ChainLink:
    return ChainLink(grid_id=grid.grid_id, grid_name=grid.name, level=grid.level, person=person)


def resolve(
    point_assignments: Sequence[Assignment] | None,
    grids_upward: Sequence[GridOnPath],
    at: datetime,
) -> Resolution:
    """Answer for a point (its assignments given) or a grid (None) at `at`.

    `grids_upward` runs from the place's own grid to the root. A point without its own person
    at that moment is its grid's; the chain lists the heads above, nearest first, leaving out
    whoever already answers; overlays (包乡包校) follow from every grid on the path.
    """
    calendar = next((g.calendar for g in grids_upward if g.calendar), DEFAULT_CALENDAR)
    above = list(grids_upward)
    responsible = who_answers(point_assignments, calendar, at) if point_assignments else NOBODY
    members: list[PersonRef] = []
    if responsible.person is None and above:
        own = above.pop(0)
        responsible = who_answers(own.assignments, calendar, at)
        members = members_at(own.assignments, calendar, at)
    chain = [_link(grid, who_answers(grid.assignments, calendar, at).person) for grid in above]
    overlays: list[ChainLink] = []
    for grid in grids_upward:
        leader = who_answers(grid.assignments, calendar, at, duty=Duty.OVERLAY).person
        if leader is not None and all(o.person != leader for o in overlays):
            overlays.append(_link(grid, leader))
    return Resolution(
        responsible=responsible,
        members=tuple(members),
        chain=tuple(
            link for link in chain if link.person is None or link.person != responsible.person
        ),
        overlays=tuple(overlays),
        school_name=next((g.name for g in grids_upward if g.level == GridLevel.SCHOOL), None),
    )
