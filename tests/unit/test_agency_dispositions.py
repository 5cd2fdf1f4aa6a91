"""Agencies' dispositions: what the body accepts, the clock check, and the timeline's wording."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from services.agency_integration.referrals.models import DispositionCreate
from services.agency_integration.referrals.service import check_acted_at
from services.hazard_cases.hazards.agency import ACTION, disposition_entry, notes
from shared.errors import ApiError
from shared.events import AgencyDispositionRecorded, PersonRef
from shared.vocabulary import (
    AGENCY_KIND_LABELS,
    DISPOSITION_KIND_LABELS,
    AgencyKind,
    DispositionKind,
)

NOW = datetime(2026, 11, 23, 1, 10, tzinfo=UTC)
OFFICER = PersonRef(person_id="p1", name="城关派出所值班室")
KEEPER = PersonRef(person_id="t1", name="王芳")


def recorded(**changes: object) -> AgencyDispositionRecorded:
    fields: dict[str, object] = {
        "disposition_id": "d1",
        "hazard_id": "h1",
        "grid_path": "/c/s/",
        "agency_id": "police",
        "agency_name": "城关派出所",
        "agency_kind": "police",
        "kind": "dispatched",
        "note": "已派民警到场",
        "acted_at": NOW,
        "officer": "民警张明",
        "reference": "J2026112300018",
        "recorded_by": OFFICER,
        **changes,
    }
    return AgencyDispositionRecorded.model_validate(fields)


def test_every_kind_has_chinese_and_english_labels() -> None:
    assert set(DISPOSITION_KIND_LABELS) == set(DispositionKind)
    assert set(AGENCY_KIND_LABELS) == set(AgencyKind)
    assert DISPOSITION_KIND_LABELS[DispositionKind.DISPATCHED][0] == "已出警"
    assert DISPOSITION_KIND_LABELS[DispositionKind.RETURNED][0].startswith("退回")


def test_the_body_keeps_what_was_written_and_drops_blank_optionals() -> None:
    body = DispositionCreate.model_validate(
        {"kind": "case_filed", "note": "  已立案侦查 ", "officer": " ", "reference": ""}
    )
    assert (body.kind, body.note) == (DispositionKind.CASE_FILED, "已立案侦查")
    assert body.officer is None
    assert body.reference is None
    assert body.acted_at is None  # now, when stored: a retry's body stays the same


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"note": "长" * 2001}, "note"),
        ({"note": ""}, "note"),
        ({"reference": "J" * 65}, "reference"),
        ({"officer": "张" * 101}, "officer"),
        ({"acted_at": "2026-11-23T09:10:00"}, "acted_at"),  # no time zone
        ({"kind": "arrested"}, "kind"),
    ],
)
def test_the_body_refuses(change: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        DispositionCreate.model_validate({"kind": "dispatched", "note": "已出警", **change})
    assert [error["loc"] for error in refused.value.errors()] == [(field,)]


def test_a_note_of_two_thousand_characters_is_accepted() -> None:
    assert len(DispositionCreate(kind="handled", note="好" * 2000).note) == 2000


def test_acted_at_may_be_a_little_ahead_of_our_clock_but_not_more() -> None:
    check_acted_at(NOW - timedelta(days=3), NOW)
    check_acted_at(NOW + timedelta(minutes=5), NOW)
    with pytest.raises(ApiError) as refused:
        check_acted_at(NOW + timedelta(minutes=5, seconds=1), NOW)
    assert refused.value.status_code == 422
    (detail,) = refused.value.body.details
    assert (detail.field, detail.code) == ("acted_at", "in_future")
    assert detail.message_zh.startswith("处置时间不能晚于当前时间")


def test_the_timeline_names_the_agency_its_answer_the_officer_and_the_number() -> None:
    assert notes(recorded()) == (
        "城关派出所：已出警（民警张明，编号 J2026112300018） — 已派民警到场",
        "城关派出所: Officers dispatched (民警张明, ref. J2026112300018) — 已派民警到场",
    )
    assert notes(
        recorded(officer=None, reference=None, kind="returned", note="属市场监管职责")
    ) == (
        "城关派出所：退回（非本单位职责） — 属市场监管职责",
        "城关派出所: Returned: not this agency's responsibility — 属市场监管职责",
    )


def test_the_timeline_entry_is_recorded_by_the_agency_and_leaves_the_status() -> None:
    event = recorded(occurred_at=NOW + timedelta(minutes=2))
    entry = disposition_entry(event, KEEPER)
    assert entry["action"] == ACTION == "agency_disposition"
    assert entry["at"] == NOW + timedelta(minutes=2)
    assert entry["actor"] == OFFICER.model_dump()
    assert entry["responsible"] == KEEPER.model_dump()
    assert entry["status"] is None
    assert entry["details"] == {
        "disposition_id": "d1",
        "agency_id": "police",
        "agency_name": "城关派出所",
        "agency_kind": "police",
        "agency_kind_label_zh": "公安",
        "kind": "dispatched",
        "kind_label_zh": "已出警",
        "kind_label_en": "Officers dispatched",
        "note": "已派民警到场",
        "officer": "民警张明",
        "reference": "J2026112300018",
        "acted_at": NOW,
    }
