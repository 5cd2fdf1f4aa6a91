"""Ids keep the exact form they had as uuid objects: stored ids must go on matching."""

from __future__ import annotations

import uuid

import pytest

from shared.ids import XIAOAN_NAMESPACE, derived_id, new_id


@pytest.mark.parametrize(
    ("kind", "parts"),
    [
        ("report", ("demo-teacher", "2f0c1e0a-5d1b-4d1e-9a8e-1c7a4f0d3b21")),
        ("ReportSubmitted", ("0123456789abcdef0123456789abcdef",)),
        ("report", ("教师-王", "离线键 ✓")),
        ("hazard", ()),
    ],
)
def test_a_derived_id_is_the_uuid5_it_always_was(kind: str, parts: tuple[str, ...]) -> None:
    expected = uuid.uuid5(XIAOAN_NAMESPACE, "\x1f".join((kind, *parts))).hex
    assert derived_id(kind, *parts) == expected


def test_a_derived_id_depends_on_every_part() -> None:
    assert derived_id("report", "a", "b") != derived_id("report", "b", "a")
    assert derived_id("report", "a", "b") != derived_id("other", "a", "b")


def test_new_ids_are_distinct_version_4_uuids() -> None:
    ids = {new_id() for _ in range(1000)}
    assert len(ids) == 1000
    for value in list(ids)[:50]:
        parsed = uuid.UUID(hex=value)
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
        assert parsed.hex == value
