"""A poison message is not lost: the service that gives up on it parks it in its dead-letter
queue, and the case service flags the hazard it concerns until an operator has dealt with it."""

from __future__ import annotations

import json
import uuid
from typing import Any

import aio_pika
import pytest

from shared.messaging.topology import dead_letter_queue_name
from tests.support.client import ApiClient
from tests.support.platform import Platform
from tests.support.school import School, hazard, new_school, report
from tests.support.servers import RabbitAdmin

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
