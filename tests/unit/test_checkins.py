"""The pure checks of patrols, health checks and duty check-ins, and how tokens are announced."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from services.grid_registry.responsibility.service import Place
from services.grid_registry.risk_points.service import announcement
from services.hazard_intake.checkins import rules
from services.hazard_intake.checkins.models import HealthCheckCreate, PatrolCreate
from shared.errors import ApiError, validation_details
from shared.events import CheckResult, Symptom, qr_token_digest
from shared.vocabulary import GridLevel

NOW = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)  # 08:30 in China
WINDOW = timedelta(days=14)
ITEMS = ["通道是否畅通", "灭火器是否在有效期内"]


def details(exc: ApiError) -> dict[str, tuple[str, str]]:
    return {d.field: (d.message_zh, d.message_en) for d in exc.body.details}


def invalid(model: Any, body: dict[str, Any]) -> dict[str, tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(body)
    errors = [{**e, "loc": ("body", *e["loc"])} for e in caught.value.errors()]
    return {d.field: (d.message_zh, d.message_en) for d in validation_details(errors)}


def health(**changes: Any) -> dict[str, Any]:
    body = {
        "grid_id": "g",
        "session": "noon",
        "check_date": "2026-11-23",
        "enrolled": 40,
        "present": 38,
        "absent": 2,
        "absent_ill": 1,
        "ill_students": [{"symptoms": ["fever"]}, {"symptoms": ["rash"], "absent": False}],
    }
    return {**body, **changes}


@pytest.mark.parametrize(
    "scanned",
    [
        "Zk3v9Qe1c2XbT0aLmN8pRs4W",
        " Zk3v9Qe1c2XbT0aLmN8pRs4W ",
        "https://xiaoan.example.cn/q/Zk3v9Qe1c2XbT0aLmN8pRs4W",
        "https://xiaoan.example.cn/q/Zk3v9Qe1c2XbT0aLmN8pRs4W/?from=wechat",
    ],
)
def test_the_token_is_found_in_the_bare_code_or_the_url(scanned: str) -> None:
    assert rules.token_from_scan(scanned) == "Zk3v9Qe1c2XbT0aLmN8pRs4W"


def test_the_registry_announces_the_digest_of_a_token_never_the_token() -> None:
    point = {
        "_id": "p1",
        "name": "东楼梯",
        "category": "buildings",
        "risk_grade": "orange",
        "grid_id": "z",
        "grid_path": "/b/t/s/z/",
        "check_items": ITEMS,
        "qr_token": "Zk3v9Qe1c2XbT0aLmN8pRs4W",
        "version": 4,
    }
    event = announcement(Place(point, []), NOW)
    expected = hashlib.sha256(b"Zk3v9Qe1c2XbT0aLmN8pRs4W").hexdigest()
    assert event.qr_token_sha256 == expected == qr_token_digest("Zk3v9Qe1c2XbT0aLmN8pRs4W")
    assert b"Zk3v9Qe1c2XbT0aLmN8pRs4W" not in event.to_bytes()
    assert event.check_items == tuple(ITEMS)
    revoked = announcement(Place({**point, "qr_token": None}, []), NOW)
    assert revoked.qr_token_sha256 is None


def test_check_results_must_answer_exactly_the_check_list() -> None:
    rules.check_results(
        [CheckResult(item=" 通道是否畅通", ok=True), CheckResult(item=ITEMS[1], ok=False)], ITEMS
    )
    with pytest.raises(ApiError) as caught:
        rules.check_results([CheckResult(item="通道畅通吗", ok=True)], ITEMS)
    found = details(caught.value)
    assert "不在该风险点的检查清单中" in found["results.0.item"][0]
    assert "通道是否畅通" in found["results"][0]
    assert "灭火器是否在有效期内" in found["results"][1]
    rules.check_results([], [])  # a point without a list: presence only


def test_a_patrol_answers_each_item_once_with_a_time_zone() -> None:
    body = {
        "qr_token": "Zk3v9Qe1c2XbT0aLmN8pRs4W",
        "results": [{"item": "a", "ok": True}, {"item": "a", "ok": False}],
        "checked_at": "2026-11-23T08:15:00",
    }
    found = invalid(PatrolCreate, body)
    assert "填写了两次" in found["results"][0]
    assert "time zone" in found["checked_at"][1]
    assert "qr_token" in invalid(PatrolCreate, {"checked_at": "2026-11-23T08:15:00+08:00"})


def test_phone_times_may_lag_but_not_lead_or_be_older_than_the_key_window() -> None:
    rules.check_moment("checked_at", NOW - timedelta(days=3), NOW, WINDOW)  # queued offline
    rules.check_moment("checked_at", NOW + timedelta(minutes=5), NOW, WINDOW)  # clock drift
    with pytest.raises(ApiError) as ahead:
        rules.check_moment("checked_at", NOW + timedelta(hours=1), NOW, WINDOW)
    assert details(ahead.value)["checked_at"][1].startswith("The time is in the future")
    with pytest.raises(ApiError) as old:
        rules.check_moment("checked_at", NOW - timedelta(days=15), NOW, WINDOW)
    assert "14 天" in details(old.value)["checked_at"][0]


def test_the_school_day_is_counted_in_china_time() -> None:
    late_evening_utc = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)  # already the 23rd in China
    rules.check_day("check_date", date(2026, 11, 23), late_evening_utc, WINDOW)
    with pytest.raises(ApiError) as caught:
        rules.check_day("check_date", date(2026, 11, 24), late_evening_utc, WINDOW)
    assert "今天" in details(caught.value)["check_date"][0]


def test_health_check_counts_must_add_up() -> None:
    assert HealthCheckCreate.model_validate(health()).absent_ill == 1
    assert HealthCheckCreate.model_validate(health(enrolled=None)).enrolled is None
    assert (
        "present (38) + absent (2) must equal enrolled (41)"
        in (invalid(HealthCheckCreate, health(enrolled=41))["enrolled"][1])
    )
    assert "不能多于缺勤人数" in invalid(HealthCheckCreate, health(absent_ill=3))["absent_ill"][0]
    recorded = invalid(HealthCheckCreate, health(absent_ill=2))["ill_students"]
    assert "应填写 2 条" in recorded[0]
    assert (
        "greater than or equal to 0" in invalid(HealthCheckCreate, health(present=-1))["present"][1]
    )


def test_ill_students_carry_symptoms_and_nothing_identifying() -> None:
    other = health(ill_students=[{"symptoms": ["other"]}, {"symptoms": ["rash"], "absent": False}])
    assert "other_symptom" in invalid(HealthCheckCreate, other)["ill_students.0"][1]
    phone = health(ill_students=[{"symptoms": ["fever"], "note": "家长 13800138000"}])
    assert "身份证" in invalid(HealthCheckCreate, phone)["ill_students.0.note"][0]
    fever = health(ill_students=[{"symptoms": ["fever", "fever"], "note": "体温 38.5℃"}])
    (student,) = HealthCheckCreate.model_validate(fever).ill_students
    assert student.to_event().symptoms == (Symptom.FEVER,)
    no_symptom = health(ill_students=[{"symptoms": []}])
    assert "至少需要 1 项" in invalid(HealthCheckCreate, no_symptom)["ill_students.0.symptoms"][0]


def test_a_class_is_named_by_its_grid_or_alongside_a_schools() -> None:
    assert rules.class_name_for(GridLevel.ZONE, "三年级（2）班", None) == "三年级（2）班"
    assert rules.class_name_for(GridLevel.SCHOOL, "第一小学", "一（1）班") == "一（1）班"
    with pytest.raises(ApiError) as school:
        rules.class_name_for(GridLevel.SCHOOL, "第一小学", None)
    assert "class_name" in details(school.value)
    with pytest.raises(ApiError) as bureau:
        rules.class_name_for(GridLevel.BUREAU, "县教育局", "一（1）班")
    assert "grid_id" in details(bureau.value)


def test_duty_is_kept_at_schools_townships_and_the_bureau() -> None:
    for level in (GridLevel.SCHOOL, GridLevel.TOWNSHIP, GridLevel.BUREAU):
        rules.check_duty_level(level)
    for level in (GridLevel.ZONE, GridLevel.OUTSIDE):
        with pytest.raises(ApiError):
            rules.check_duty_level(level)
