"""Who answers for a place at a moment: slots, holidays, rotations and history."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from shared.events import PersonRef
from shared.responsibility import (
    DEFAULT_CALENDAR,
    Assignment,
    Calendar,
    Duty,
    Holiday,
    Rotation,
    RotationEntry,
    SlotKind,
    end_replaced,
    members_at,
    who_answers,
)

CN = ZoneInfo("Asia/Shanghai")
HEAD = PersonRef(person_id="p-head", name="王芳")  # zone head, all day
DUTY = PersonRef(person_id="p-duty", name="李强")  # weekly duty teacher, recess
CANTEEN = PersonRef(person_id="p-canteen", name="赵建华")  # lunch
HOLIDAY_DUTY = PersonRef(person_id="p-holiday", name="孙强")
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)

CALENDAR = DEFAULT_CALENDAR.model_copy(
    update={
        "holidays": (Holiday(name="国庆节", start=date(2026, 10, 1), end=date(2026, 10, 7)),),
        "makeup_workdays": (date(2026, 10, 10),),  # a Saturday that is a school day
    }
)


def assign(person: PersonRef, slot: SlotKind, **more: object) -> Assignment:
    return Assignment(
        assignment_id=f"{person.person_id}-{slot}",
        person=person,
        slot=slot,
        valid_from=more.pop("valid_from", LONG_AGO),  # type: ignore[arg-type]
        **more,  # type: ignore[arg-type]
    )


ZONE = [
    assign(HEAD, SlotKind.ALWAYS),
    assign(DUTY, SlotKind.RECESS),
    assign(CANTEEN, SlotKind.LUNCH),
    assign(HOLIDAY_DUTY, SlotKind.HOLIDAY),
]


def local(y: int, m: int, d: int, hh: int, mm: int) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=CN)


@pytest.mark.parametrize(
    ("at", "person", "slot"),
    [
        (local(2026, 11, 23, 9, 40), DUTY, SlotKind.RECESS),  # Monday, morning recess
        (local(2026, 11, 23, 12, 0), CANTEEN, SlotKind.LUNCH),  # Monday, lunch
        (local(2026, 11, 23, 15, 10), HEAD, SlotKind.ALWAYS),  # Monday, lesson time
        (local(2026, 10, 2, 9, 40), HOLIDAY_DUTY, SlotKind.HOLIDAY),  # National Day, "recess" hour
        (local(2026, 11, 22, 12, 0), HEAD, SlotKind.ALWAYS),  # Sunday: no weekend duty, the head
        (local(2026, 10, 10, 9, 40), DUTY, SlotKind.RECESS),  # make-up Saturday keeps recess
    ],
)
def test_the_slot_in_force_decides_who_answers(
    at: datetime, person: PersonRef, slot: SlotKind
) -> None:
    answer = who_answers(ZONE, CALENDAR, at)
    assert (answer.person, answer.slot) == (person, slot)


def test_time_zone_is_the_schools_not_the_servers() -> None:
    # 01:40 UTC is 09:40 in China: recess.
    assert who_answers(ZONE, CALENDAR, datetime(2026, 11, 23, 1, 40, tzinfo=UTC)).person == DUTY


def test_nobody_answers_for_a_blind_spot() -> None:
    answer = who_answers([], CALENDAR, local(2026, 11, 23, 9, 40))
    assert answer.person is None
    assert answer.slot is None


def test_past_moments_find_the_person_of_their_time_after_three_reassignments() -> None:
    people = [PersonRef(person_id=f"p{n}", name=name) for n, name in enumerate("甲乙丙丁")]
    starts = [local(2026, 1, 1, 0, 0) + timedelta(days=30 * n) for n in range(4)]
    history: list[Assignment] = []
    for person, start in zip(people, starts, strict=True):
        new = assign(person, SlotKind.ALWAYS, valid_from=start)
        for old, end in end_replaced(history, new):
            history[history.index(old)] = old.model_copy(update={"valid_to": end})
        history.append(new)
    assert [a.valid_to is None for a in history] == [False, False, False, True]
    for person, start in zip(people, starts, strict=True):
        assert who_answers(history, CALENDAR, start + timedelta(days=10)).person == person
    assert who_answers(history, CALENDAR, starts[0] - timedelta(days=1)).person is None


def test_weekly_duty_rotates_through_its_members() -> None:
    teachers = tuple(PersonRef(person_id=f"t{n}", name=name) for n, name in enumerate("赵钱孙"))
    rota = Assignment(
        assignment_id="rota",
        slot=SlotKind.RECESS,
        rotation=Rotation(cycle=teachers, period_days=7, anchor=date(2026, 11, 2)),
        valid_from=LONG_AGO,
    )
    weeks = [local(2026, 11, 2, 9, 40) + timedelta(weeks=n) for n in range(4)]
    assert [who_answers([rota], CALENDAR, w).person for w in weeks] == [*teachers, teachers[0]]


def test_holiday_roster_names_each_days_person() -> None:
    roster = Assignment(
        assignment_id="holiday-roster",
        slot=SlotKind.HOLIDAY,
        rotation=Rotation(
            roster=(
                RotationEntry(start=date(2026, 10, 1), end=date(2026, 10, 3), person=HEAD),
                RotationEntry(start=date(2026, 10, 4), end=date(2026, 10, 7), person=DUTY),
            )
        ),
        valid_from=LONG_AGO,
    )
    assert who_answers([roster], CALENDAR, local(2026, 10, 2, 20, 0)).person == HEAD
    assert who_answers([roster], CALENDAR, local(2026, 10, 5, 20, 0)).person == DUTY


def test_members_are_added_alongside_and_heads_replace_each_other() -> None:
    members = [
        Assignment(assignment_id=f"m{n}", duty=Duty.MEMBER, person=p, valid_from=LONG_AGO)
        for n, p in enumerate((HEAD, DUTY, CANTEEN))
    ]
    assert members_at(members, CALENDAR, local(2026, 11, 23, 9, 0)) == [HEAD, DUTY, CANTEEN]
    new_member = Assignment(
        assignment_id="m4",
        duty=Duty.MEMBER,
        person=HOLIDAY_DUTY,
        valid_from=local(2026, 1, 1, 0, 0),
    )
    assert end_replaced(members, new_member) == []


def test_assignment_needs_a_person_or_a_rotation() -> None:
    with pytest.raises(ValueError, match="give either a person or a rotation"):
        Assignment(assignment_id="x", valid_from=LONG_AGO)


def test_default_calendar_has_no_holidays_but_knows_weekends() -> None:
    saturday = local(2026, 11, 21, 9, 40)
    assert Calendar().active_slots(saturday) == [SlotKind.WEEKEND, SlotKind.ALWAYS]
    assert DEFAULT_CALENDAR.active_slots(local(2026, 11, 23, 7, 40))[:2] == [
        SlotKind.SCHOOL_RUN,
        SlotKind.SCHOOL_DAY,
    ]
