"""Escalation up the grid on a clock the test moves: the right person at the right time,
stopping when a leader acts, and exactly once per step with two timer replicas, one killed."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import aio_pika
import pytest
from pymongo import AsyncMongoClient

from tests.support.client import ApiClient
from tests.support.platform import Platform, ServiceProcess, free_port, running_platform
from tests.support.school import School, hazard, new_school, notice, report
from tests.support.waiting import wait_until

# The demo county above every test school: township head, county head, then the bureau
# leader's overlay on the township (包乡包校).
TOWNSHIP_HEAD, COUNTY_HEAD, OVERLAY = "demo-p-township", "demo-p-admin", "demo-p-leader"
# Acceptance is given longer than the deadline here, so the deadline is the first timer.
POLICY = {
    "grades": {
        grade: {"rectify_hours": hours, "acknowledge_hours": 500, "escalate_every_hours": step}
        for grade, hours, step in (
            ("red", 24, 4),
            ("orange", 72, 12),
            ("yellow", 168, 24),
            ("blue", 360, 48),
        )
    }
}


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """A platform of this module's own: moving its clock must not age other tests' hazards
    (nor must their thousands of hazards queue up before these at each move)."""
    # Timers checked every second, so that a moved clock shows at once.
    fast_timers = {"HAZARD_CASES_TIMER_INTERVAL_SECONDS": "1"}
    with running_platform(tmp_path_factory.mktemp("escalation"), fast_timers) as running:
        yield running


@pytest.fixture
async def clock(platform: Platform) -> AsyncIterator[Platform]:
    """Move the case service's clock in a test; back to real time afterwards."""
    yield platform
    platform.move_clock(timedelta(0))


async def school_with_policy(admin: ApiClient) -> School:
    school = await new_school(admin)
    response = await admin.http.put(
        f"{admin.platform.url('hazard_cases')}/v1/deadline-policies/{school.school_id}",
        json=POLICY,
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text
    return school


async def level_after(
    clock: Platform, admin: ApiClient, hazard_id: str, ahead: timedelta, level: int
) -> dict[str, Any]:
    """Move the clock and wait for the hazard to reach `level` (it must not go past it)."""
    clock.move_clock(ahead)
    return await hazard(admin, hazard_id, escalation_level=level)


async def test_a_red_hazard_climbs_zone_school_township_county_at_the_right_times(
    admin: ApiClient, clock: Platform
) -> None:
    school = await school_with_policy(admin)
    keeper = await school.login(admin, school.keeper)
    hazard_id = await report(keeper, school, "实验室危化品柜门锁损坏")
    await hazard(admin, hazard_id, status="assigned")
    await keeper.post("hazard_cases", f"/v1/hazards/{hazard_id}/actions", {"action": "accept"})

    clock.move_clock(timedelta(hours=23, minutes=50))
    await asyncio.sleep(2.5)  # a couple of timer rounds: before the deadline nothing happens
    assert (await hazard(admin, hazard_id))["escalation_level"] == 0

    expected = [
        (timedelta(hours=24, minutes=1), school.people[school.zone_head]),
        (timedelta(hours=28, minutes=1), school.people[school.head]),
        (timedelta(hours=32, minutes=1), TOWNSHIP_HEAD),
        (timedelta(hours=36, minutes=1), COUNTY_HEAD),
        (timedelta(hours=40, minutes=1), OVERLAY),
    ]
    for level, (ahead, person_id) in enumerate(expected, start=1):
        # Just before this level's time it is still at the previous level.
        clock.move_clock(ahead - timedelta(minutes=2))
        await asyncio.sleep(1.5)
        assert (await hazard(admin, hazard_id))["escalation_level"] == level - 1
        found = await level_after(clock, admin, hazard_id, ahead, level)
        assert found["escalated_to"]["person_id"] == person_id
        assert found["overdue"] is True

    notes = [e["note_zh"] for e in found["timeline"] if e["action"] == "escalated"]
    assert len(notes) == 5
    assert notes[0].startswith("超期未整改，逐级上报至 楼长")
    # The chain is exhausted: nothing more happens, however late it gets.
    clock.move_clock(timedelta(days=10))
    await asyncio.sleep(2)
    assert (await hazard(admin, hazard_id))["escalation_level"] == 5


async def test_escalation_stops_when_the_school_head_acts(
    admin: ApiClient, clock: Platform
) -> None:
    school = await school_with_policy(admin)
    keeper = await school.login(admin, school.keeper)
    head = await school.login(admin, school.head)
    hazard_id = await report(keeper, school, "校门口减速带缺失")
    await hazard(admin, hazard_id, status="assigned")
    await keeper.post("hazard_cases", f"/v1/hazards/{hazard_id}/actions", {"action": "accept"})

    found = await level_after(clock, admin, hazard_id, timedelta(hours=28, minutes=1), 2)
    assert found["escalated_to"]["person_id"] == school.people[school.head]
    told = await notice(head, hazard_id, "hazard_escalated")
    assert "超期未整改" in told["title_zh"]
    # The head takes it in hand until 24 hours after the moment they act (the moved clock).
    acted = await head.post(
        "hazard_cases",
        f"/v1/hazards/{hazard_id}/actions",
        {"action": "supervise", "note": "已督办，明日前完成"},
    )
    assert acted.status_code == 200, acted.text
    clock.move_clock(timedelta(hours=31, minutes=50))  # past the township's time, had nobody acted
    await asyncio.sleep(2.5)
    assert (await hazard(admin, hazard_id))["escalation_level"] == 2
    # The head's own deadline (4 h, one escalation period) passes: it climbs on from there.
    found = await level_after(clock, admin, hazard_id, timedelta(hours=32, minutes=5), 3)
    assert found["escalated_to"]["person_id"] == TOWNSHIP_HEAD


async def _escalation_events(
    platform: Platform, queue_name: str
) -> tuple[aio_pika.abc.AbstractRobustConnection, aio_pika.abc.AbstractQueue]:
    connection = await aio_pika.connect_robust(platform.infra.amqp_url_for(platform.vhost))
    channel = await connection.channel()
    queue = await channel.declare_queue(queue_name, auto_delete=True)
    await queue.bind("xiaoan.hazard_cases", "hazard_cases.hazard.escalated")
    return connection, queue


async def test_two_timer_replicas_one_killed_escalate_each_step_exactly_once(
    admin: ApiClient, clock: Platform, platform: Platform
) -> None:
    school = await school_with_policy(admin)
    keeper = await school.login(admin, school.keeper)
    tag = uuid.uuid4().hex[:6]
    items = [
        {
            "idempotency_key": f"{tag}-{n}",
            "point_id": school.point_id,
            "category": "fire",
            "description": f"批量超期隐患{tag}-{n}",
        }
        for n in range(1_000)
    ]
    for start in range(0, len(items), 100):
        answer = await keeper.post(
            "hazard_intake", "/v1/reports/batch", {"reports": items[start : start + 100]}
        )
        assert answer.json()["accepted"] == 100, answer.text

    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(platform.infra.mongo_url)
    hazards = mongo[platform.database("hazard_cases")]["hazards"]
    mine = {"description": {"$regex": f"^批量超期隐患{tag}-"}}

    async def count(query: dict[str, Any]) -> int:
        return await hazards.count_documents({**mine, **query})

    await wait_until(
        lambda: _at_least(count({"status": "assigned"}), 1_000), timeout=180, what="1,000 hazards"
    )
    connection, events = await _escalation_events(platform, f"test-escalations-{tag}")
    original = platform.services["hazard_cases"]
    port = free_port()
    env = {**original.env, "HAZARD_CASES_PORT": str(port)}
    second = ServiceProcess("hazard_cases", port, env, platform.workdir / "hazard_cases-2.log")
    second.start()
    try:
        await second.wait_ready()
        # Both replicas see every hazard's deadline pass; one of them dies half-way.
        clock.move_clock(timedelta(hours=24, minutes=1))
        await wait_until(
            lambda: _at_least(count({"escalation_level": 1}), 100), timeout=60, what="100 steps"
        )
        original.kill()
        await wait_until(
            lambda: _at_least(count({"escalation_level": 1}), 1_000), timeout=180, what="level 1"
        )
        await platform.restart("hazard_cases")
        clock.move_clock(timedelta(hours=28, minutes=1))
        await wait_until(
            lambda: _at_least(count({"escalation_level": 2}), 1_000), timeout=180, what="level 2"
        )
    finally:
        second.stop()
        if original.process is None or original.process.poll() is not None:
            await platform.restart("hazard_cases")

    async for doc in hazards.find(mine, {"escalations": 1}):
        assert [step["level"] for step in doc["escalations"]] == [1, 2], doc["_id"]

    # Every step was announced, each under one event id (a redelivery repeats the same id).
    seen: dict[tuple[str, int], set[str]] = {}

    async def all_announced() -> bool:
        while (message := await events.get(no_ack=True, fail=False)) is not None:
            envelope = json.loads(message.body)
            data = envelope["data"]
            seen.setdefault((data["hazard_id"], data["level"]), set()).add(envelope["id"])
        return len(seen) >= 2_000

    await wait_until(all_announced, timeout=120, interval=0.2, what="2,000 escalation events")
    assert len(seen) == 2_000
    assert Counter(len(ids) for ids in seen.values()) == Counter({1: 2_000})
    await connection.close()
    await mongo.close()


async def _at_least(value: Any, n: int) -> bool:
    return (await value) >= n
