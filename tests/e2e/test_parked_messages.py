"""A poison message is not lost: the service that gives up on it parks it in its dead-letter
queue, and the case service flags the hazard it concerns until an operator has dealt with it."""

from __future__ import annotations

import json
import uuid
from typing import Any

import aio_pika
import httpx
import pytest
from pymongo import AsyncMongoClient

from shared.clock import utc_now
from shared.messaging.topology import dead_letter_queue_name
from tests.support.client import ApiClient
from tests.support.platform import Platform
from tests.support.school import School, hazard, new_school, report
from tests.support.servers import RabbitAdmin
from tests.support.waiting import wait_until

NOTIFICATIONS_QUEUE = "notifications.hazard_assigned"


@pytest.fixture
async def school(admin: ApiClient) -> School:
    return await new_school(admin)


async def send_malformed_assignment(platform: Platform, hazard_id: str, grid_path: str) -> str:
    """Put in notifications' queue what a producer with a bug might send: a HazardAssigned
    whose data lacks required fields. Return its event id."""
    event_id = uuid.uuid4().hex
    body = {
        "specversion": "1.0",
        "id": event_id,
        "source": "/xiaoan/hazard_cases",
        "type": "cn.xiaoan.hazard_cases.hazard.assigned",
        "time": "2026-11-23T08:00:00Z",
        "data": {"hazard_id": hazard_id, "grid_path": grid_path},
    }
    connection = await aio_pika.connect(platform.infra.amqp_url_for(platform.vhost))
    async with connection:
        channel = await connection.channel()
        await channel.default_exchange.publish(
            aio_pika.Message(json.dumps(body).encode(), message_id=event_id),
            routing_key=NOTIFICATIONS_QUEUE,
        )
    return event_id


async def test_a_parked_message_flags_its_hazard_until_an_operator_resolves_it(
    platform: Platform, admin: ApiClient, school: School
) -> None:
    keeper = await school.login(admin, school.keeper)
    head = await school.login(admin, school.head)
    hazard_id = await report(keeper, school, "配电箱门锁损坏")
    opened = await hazard(admin, hazard_id, status="assigned")
    assert opened["flagged"] is False
    grid_path = f"/demo-county/demo-township/{school.school_id}/{school.zone_id}/"
    event_id = await send_malformed_assignment(platform, hazard_id, grid_path)

    flagged = await hazard(admin, hazard_id, flagged=True)
    parked_entry = flagged["timeline"][-1]
    assert parked_entry["action"] == "message_parked"
    assert "消息通知处理本隐患的消息失败" in parked_entry["note_zh"]
    # The school head sees the flag on their hazard too, and the flagged list holds it.
    assert (await hazard(head, hazard_id))["flagged"] is True
    listed = (await admin.get("hazard_cases", "/v1/hazards", flagged="true")).json()["items"]
    assert hazard_id in [item["hazard_id"] for item in listed]

    parked = (await admin.get("hazard_cases", "/v1/parked-messages", hazard_id=hazard_id)).json()
    assert len(parked) == 1
    assert parked[0]["service"] == "notifications"
    assert parked[0]["queue"] == NOTIFICATIONS_QUEUE
    assert parked[0]["event_id"] == event_id
    assert parked[0]["data"]["hazard_id"] == hazard_id
    # Only county operators handle failed messages.
    assert (await head.get("hazard_cases", "/v1/parked-messages")).status_code == 403
    # The original stays in notifications' dead-letter queue, for replay.
    rabbit = RabbitAdmin(platform.infra.management_url)
    try:
        kept = await rabbit.get_messages(
            platform.vhost, dead_letter_queue_name(NOTIFICATIONS_QUEUE)
        )
    finally:
        await rabbit.close()
    assert event_id in [message["properties"]["message_id"] for message in kept]

    resolve = f"/v1/parked-messages/{parked[0]['parked_id']}/resolve"
    note = {"note": "生产方已修复，已从死信队列重放"}
    key = uuid.uuid4().hex
    answered = await admin.post("hazard_cases", resolve, note, key=key)
    assert answered.status_code == 200, answered.text
    assert answered.json()["resolved_at"] is not None
    again = await admin.post("hazard_cases", resolve, note, key=key)
    assert again.json() == answered.json()

    cleared = await hazard(admin, hazard_id, flagged=False)
    actions = [step["action"] for step in cleared["timeline"]]
    assert actions.count("message_parked") == 1
    assert actions.count("message_resolved") == 1
    still_open: list[Any] = (
        await admin.get("hazard_cases", "/v1/parked-messages", hazard_id=hazard_id)
    ).json()
    assert still_open == []
    bad = await admin.post("hazard_cases", resolve, {"note": ""})
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "note"


ACKED_REPORTS = (
    'xiaoan_hazard_cases_messages_consumed_total{outcome="acked",queue="hazard_cases.open_hazards"}'
)


async def _metric(http: httpx.AsyncClient, platform: Platform, service: str, line: str) -> float:
    text = (await http.get(platform.url(service) + "/metrics")).text
    found = next((row for row in text.splitlines() if row.startswith(line)), f"{line} 0")
    return float(found.rsplit(" ", 1)[1])


async def test_a_report_parked_for_a_cause_fixed_later_is_replayed_into_exactly_one_hazard(
    platform: Platform, admin: ApiClient, school: School, http: httpx.AsyncClient
) -> None:
    policy = await admin.http.put(
        f"{platform.url('hazard_cases')}/v1/deadline-policies/{school.school_id}",
        json={"duplicate_window_hours": 24},
        headers=admin.headers,
    )
    assert policy.status_code == 200, policy.text
    keeper = await school.login(admin, school.keeper)
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(platform.infra.mongo_url)
    claims = mongo[platform.database("hazard_cases")]["open_by_place"]
    # The cause: the point's claim names a hazard that was never written (as a bug might
    # leave it), so the case service cannot tell whether the report joins it, and gives up.
    ghost = {
        "_id": f"{school.point_id}|fire",
        "hazard_id": "never-written",
        "claimed_at": utc_now(),
    }
    await claims.insert_one(ghost)
    parked_before = await _metric(http, platform, "hazard_cases", PARKED_TOTAL)
    try:
        hazard_id = await report(keeper, school, "楼道堆放易燃物")

        async def parked_one() -> list[dict[str, Any]] | None:
            found = (
                await admin.get("hazard_cases", "/v1/parked-messages", hazard_id=hazard_id)
            ).json()
            return found or None

        parked = (await wait_until(parked_one, timeout=90, what="the report to be parked"))[0]
        assert parked["queue"] == "hazard_cases.open_hazards"
        assert parked["replayable"] is True
        assert "never-written" in parked["error"]

        async def counted() -> bool:  # the record is written a moment before it is counted
            return await _metric(http, platform, "hazard_cases", PARKED_TOTAL) == parked_before + 1

        await wait_until(counted, timeout=10, what="the parked message to be counted")

        # The command centre's board alerts its operators the moment it lands.
        async def alerted() -> dict[str, Any] | None:
            board = (await admin.get("command_centre", "/v1/board")).json()
            ids = [alert["parked_id"] for alert in board["alerts"]["latest"]]
            return board["alerts"] if parked["parked_id"] in ids else None

        assert (await wait_until(alerted, timeout=30, what="the board's alert"))["count"] >= 1
        head = await school.login(admin, school.head)
        assert (await head.get("command_centre", "/v1/board")).json()["alerts"] is None

        await claims.delete_one({"_id": ghost["_id"]})  # the operator fixes the cause
        replay = f"/v1/parked-messages/{parked['parked_id']}/replay"
        acked = await _metric(http, platform, "hazard_cases", ACKED_REPORTS)
        note = {"note": "已清除失效的占位记录，重放"}
        replayed = await admin.post("hazard_cases", replay, note)
        assert replayed.status_code == 200, replayed.text
        assert replayed.json()["resolved_at"] is not None
        assert [r["by"]["name"] for r in replayed.json()["replays"]] == ["李建国"]
        opened = await hazard(admin, hazard_id, status="assigned")
        assert opened["description"] == "楼道堆放易燃物"

        # A second replay (another click, another key) finds the report handled: no effect.
        again = await admin.post("hazard_cases", replay, {"note": "再次重放"})
        assert again.status_code == 200, again.text
        assert len(again.json()["replays"]) == 2

        async def both_handled() -> bool:
            return await _metric(http, platform, "hazard_cases", ACKED_REPORTS) >= acked + 2

        await wait_until(both_handled, timeout=60, what="both replays to be handled")
        hazards = mongo[platform.database("hazard_cases")]["hazards"]
        assert await hazards.count_documents({"description": "楼道堆放易燃物"}) == 1
        kept = await hazard(admin, hazard_id)
        assert [step["action"] for step in kept["timeline"]].count("reported") == 1

        async def alert_lowered() -> bool:
            board = (await admin.get("command_centre", "/v1/board")).json()
            return parked["parked_id"] not in [a["parked_id"] for a in board["alerts"]["latest"]]

        await wait_until(alert_lowered, timeout=30, what="the alert to be lowered")
        # Only county operators replay.
        assert (await head.post("hazard_cases", replay, note)).status_code == 403
    finally:
        await mongo.close()


PARKED_TOTAL = 'xiaoan_hazard_cases_parked_messages_total{service="hazard_cases"}'
