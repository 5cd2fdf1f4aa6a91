"""The event catalogue and its CloudEvents wire form."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.clock import utc_now
from shared.events import (
    CATALOGUE,
    Event,
    HazardAssigned,
    PersonRef,
    ReportSubmitted,
    UnknownEventType,
    decode_cloudevent,
)
from shared.events.asyncapi import render

ROOT = Path(__file__).resolve().parents[2]


def a_report() -> ReportSubmitted:
    return ReportSubmitted(
        report_id="r1",
        point_id="p1",
        grid_id="g1",
        grid_path="/b/t/g1/",
        category="food_hygiene",
        description="留样不足48小时",
        location={"lat": 23.47, "lon": 111.28},
        photo_ids=("m1",),
        reporter=PersonRef(person_id="u1", name="王芳"),
        reporter_scope=("/b/t/",),
        received_at=utc_now(),
    )


def test_event_survives_the_wire_with_its_id_time_and_correlation() -> None:
    event = a_report()
    decoded, correlation_id = decode_cloudevent(event.to_bytes(correlation_id="c-42"))
    assert decoded == event
    assert correlation_id == "c-42"


def test_wire_form_is_cloudevents_structured_json_with_readable_chinese() -> None:
    body = a_report().to_bytes()
    envelope = json.loads(body)
    assert envelope["specversion"] == "1.0"
    assert envelope["type"] == "cn.xiaoan.hazard_intake.report.submitted"
    assert envelope["source"] == "/xiaoan/hazard_intake"
    assert envelope["time"].endswith("Z")
    assert "event_id" not in envelope["data"]
    assert "留样不足48小时".encode() in body


def test_wire_bytes_and_cloudevent_object_say_the_same() -> None:
    event = a_report()
    assert json.loads(event.to_bytes(correlation_id="c-7")) == event.to_cloudevent(
        correlation_id="c-7"
    )


def test_events_are_immutable() -> None:
    event = a_report()
    with pytest.raises(Exception, match="frozen"):
        event.description = "changed"  # type: ignore[misc]


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"specversion": "0.3", "type": "cn.xiaoan.hazard_intake.report.submitted"}',
        b'{"specversion": "1.0", "type": "org.other.thing", "data": {}}',
        b'{"specversion": "1.0", "type": "cn.xiaoan.nobody.thing.happened", "data": {}}',
    ],
)
def test_foreign_or_broken_messages_are_refused(body: bytes) -> None:
    with pytest.raises((ValueError, UnknownEventType)):
        decode_cloudevent(body)


def test_routing_keys_name_producer_entity_and_past_tense_verb() -> None:
    with pytest.raises(ValueError, match="routing key"):

        class Broken(Event, routing_key="hazard_cases.assigned"):
            pass


def test_a_routing_key_is_declared_once() -> None:
    with pytest.raises(ValueError, match="declared twice"):

        class Impostor(Event, routing_key=HazardAssigned.routing_key):
            pass


def test_every_event_type_has_a_producer_exchange_name() -> None:
    producers = {event_type.producer for event_type in CATALOGUE.all()}
    assert producers <= {
        "grid_registry",
        "hazard_intake",
        "media_storage",
        "hazard_cases",
        "notifications",
        "agency_integration",
        "command_centre",
    }


def test_committed_asyncapi_document_matches_the_catalogue() -> None:
    committed = (ROOT / "docs" / "asyncapi.json").read_text(encoding="utf-8")
    assert committed == render(), "run `make asyncapi` and commit docs/asyncapi.json"
