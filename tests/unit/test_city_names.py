"""The synthetic city's names look Chinese, and a seed always draws the same city."""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import timedelta

from services.grid_registry.demo.city import CITY_CALENDAR, build_city
from services.grid_registry.demo.names import SURNAMES, person_name
from shared.responsibility import Assignment, SlotKind

CHINESE_NAME = re.compile(r"[\u4e00-\u9fff]{2,3}")


def test_names_are_a_surname_and_one_or_two_characters() -> None:
    rng = random.Random(5)
    names = [person_name(rng, female_share=0.5) for _ in range(5_000)]
    for name in names:
        assert CHINESE_NAME.fullmatch(name), name
        assert name[0] in SURNAMES, name
    # Weighted by frequency: the commonest surnames lead, and one-character given names occur.
    top = [surname for surname, _ in Counter(name[0] for name in names).most_common(5)]
    assert {"王", "李", "张"} <= set(top)
    assert any(len(name) == 2 for name in names)


def test_everyone_in_the_city_has_a_chinese_name() -> None:
    for person in build_city(3, "small").people:
        assert CHINESE_NAME.fullmatch(person["name"]), person
        assert person["name"][0] in SURNAMES


def test_the_same_seed_gives_the_same_city() -> None:
    first, again, other = build_city(7, "small"), build_city(7, "small"), build_city(8, "small")
    assert first.summary() == again.summary()
    assert [p["name"] for p in first.people] == [p["name"] for p in again.people]
    assert [g["name"] for g in first.grids] == [g["name"] for g in again.grids]
    assert [p["assignments"] for p in first.points] == [p["assignments"] for p in again.points]
    assert [p["name"] for p in first.people] != [p["name"] for p in other.people]


def test_wuzhou_scale() -> None:
    summary = build_city(1, "wuzhou").summary()
    assert summary["grids_L1"] == 1
    assert 100 <= summary["grids_L2"] <= 140
    assert 1_250 <= summary["schools"] <= 1_350
    assert 0.1 <= summary["private_schools"] / summary["schools"] <= 0.2
    assert 14_000 <= summary["people"] <= 16_500
    assert 30_000 <= summary["risk_points"] <= 40_000
    assert summary["points_red"] < summary["points_orange"] < summary["points_yellow"]
    assert round(0.05 * summary["grids_L4"]) == summary["blind_spots"]
    assert summary["recess_rotations"] == summary["schools"] // 2


def test_holiday_rosters_cover_holidays_only_once() -> None:
    city = build_city(1, "small")
    rosters = [
        Assignment.model_validate(a)
        for doc in city.grids
        for a in doc["assignments"]
        if a["slot"] == SlotKind.HOLIDAY
    ]
    assert rosters
    for roster in rosters:
        assert roster.rotation is not None
        days = [
            entry.start + timedelta(days=n)
            for entry in roster.rotation.roster
            for n in range((entry.end - entry.start).days + 1)
        ]
        assert len(days) == len(set(days))
        assert all(CITY_CALENDAR.is_holiday(day) for day in days)
