"""Fair batches: a key with a backlog takes one share of each batch, the others go on."""

from __future__ import annotations

from shared.messaging.batches import BatchCollector


def collector_with(items: list[tuple[str, str]], max_batch: int) -> BatchCollector[str]:
    collector: BatchCollector[str] = BatchCollector(max_batch, max_wait_seconds=0.01)
    for key, item in items:
        collector.add(item, key)
    return collector


def test_a_flood_on_one_key_does_not_hold_up_the_keys_behind_it() -> None:
    flood = [("gate", f"gate-{n}") for n in range(1_000)]
    others = [(f"point-{n}", f"other-{n}") for n in range(10)]
    collector = collector_with(flood + others, max_batch=100)
    first = collector.take()
    # All ten other places are in the first batch, although they came after 1,000 reports.
    assert {item for item in first if item.startswith("other")} == {f"other-{n}" for n in range(10)}
    assert len(first) == 100
    # The flood goes on in the order it came.
    floods = [item for item in first if item.startswith("gate")]
    assert floods == [f"gate-{n}" for n in range(90)]
    second = collector.take()
    assert second == [f"gate-{n}" for n in range(90, 190)]


def test_keys_take_turns_and_each_key_keeps_its_order() -> None:
    items = [("a", "a1"), ("a", "a2"), ("a", "a3"), ("b", "b1"), ("c", "c1"), ("c", "c2")]
    collector = collector_with(items, max_batch=4)
    assert collector.take() == ["a1", "b1", "c1", "a2"]
    assert collector.take() == ["c2", "a3"]
    assert collector.take() == []
