"""Intake's key ledger: the first body of each report key, in a file the host's workers share."""

from __future__ import annotations

import hashlib
import multiprocessing
import threading
from pathlib import Path

import pytest

from services.hazard_intake.reports.ledger import EVICTED, KeyLedger

DAY = 86400
NOW = 1_790_000_000.0  # a moment in 2026


def body(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def open_ledger(path: Path, slots: int = 1024, retention: int = 14 * DAY) -> KeyLedger:
    return KeyLedger(path, slots=slots, retention_seconds=retention)


def test_a_key_keeps_the_body_it_was_first_used_with(tmp_path: Path) -> None:
    ledger = open_ledger(tmp_path / "keys")
    assert ledger.first_use_matches("report-1", body("a"), NOW)
    assert ledger.first_use_matches("report-1", body("a"), NOW + 60)  # a retry
    assert not ledger.first_use_matches("report-1", body("b"), NOW + 60)  # a reuse: 422
    assert ledger.first_use_matches("report-2", body("b"), NOW)  # another key is its own


def test_a_restarted_worker_still_knows_the_keys(tmp_path: Path) -> None:
    ledger = open_ledger(tmp_path / "keys")
    assert ledger.first_use_matches("report-1", body("a"), NOW)
    ledger.close()
    again = open_ledger(tmp_path / "keys")
    assert not again.first_use_matches("report-1", body("b"), NOW + 1)
    assert again.first_use_matches("report-1", body("a"), NOW + 1)


def test_a_key_older_than_the_retention_is_free_again(tmp_path: Path) -> None:
    ledger = open_ledger(tmp_path / "keys", retention=DAY)
    assert ledger.first_use_matches("report-1", body("a"), NOW)
    assert not ledger.first_use_matches("report-1", body("b"), NOW + DAY - 1)
    assert ledger.first_use_matches("report-1", body("b"), NOW + DAY)
    assert not ledger.first_use_matches("report-1", body("a"), NOW + DAY)  # b is first now


def test_a_full_bucket_forgets_its_oldest_key_and_counts_it(tmp_path: Path) -> None:
    ledger = open_ledger(tmp_path / "keys", slots=8)  # one bucket of eight
    before = EVICTED._value.get()
    for i in range(8):
        assert ledger.first_use_matches(f"report-{i}", body("a"), NOW + i)
    assert EVICTED._value.get() == before
    assert ledger.first_use_matches("report-8", body("a"), NOW + 8)
    assert EVICTED._value.get() == before + 1
    assert ledger.first_use_matches("report-0", body("b"), NOW + 9)  # the oldest went
    for i in range(2, 9):
        assert not ledger.first_use_matches(f"report-{i}", body("b"), NOW + 10)


def test_a_table_laid_out_for_other_settings_starts_afresh(tmp_path: Path) -> None:
    small = open_ledger(tmp_path / "keys", slots=1024)
    assert small.first_use_matches("report-1", body("a"), NOW)
    small.close()
    larger = open_ledger(tmp_path / "keys", slots=2048)
    assert larger.first_use_matches("report-1", body("b"), NOW)
    assert (tmp_path / "keys").stat().st_size > 2048 * 32


def test_too_few_slots_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 8"):
        open_ledger(tmp_path / "keys", slots=4)


def _race(path: str, text: str, keys: int, start: threading.Barrier) -> list[bool]:
    ledger = open_ledger(Path(path), slots=1 << 16)  # roomy: no key is evicted
    start.wait()
    return [ledger.first_use_matches(f"report-{i}", body(text), NOW) for i in range(keys)]


def test_two_workers_racing_the_same_keys_agree_on_one_first_body(tmp_path: Path) -> None:
    # Two processes (the host's two uvicorn workers) send every key at once with their own
    # body: for each key exactly one of them may be told it came first.
    keys = 3000
    context = multiprocessing.get_context("spawn")
    start = context.Manager().Barrier(2)
    with context.Pool(2) as pool:
        firsts = pool.starmap(
            _race, [(str(tmp_path / "keys"), text, keys, start) for text in ("a", "b")]
        )
    assert [a + b for a, b in zip(*firsts, strict=True)] == [1] * keys
