"""A reused Idempotency-Key with another body: 422 on every intake replica while the key's
answer is kept, and after it expired, the case service refuses the report and its reporter is
told."""

from __future__ import annotations

import uuid

import httpx

from tests.support.client import ApiClient
from tests.support.platform import Platform, ServiceProcess, free_port
from tests.support.school import hazard, new_school, notice

# Notifications pass through the case service's outbox and the notification service's queues.
# On the shared test platform, the module before this one sent 1,000 reports at once: their
# hazards' notifications may take a minute more to work through before these are reached.
CATCH_UP = 180.0


async def post_on_another_replica(
    platform: Platform, http: httpx.AsyncClient, client: ApiClient, body: object, key: str
) -> httpx.Response:
    """POST a report through a second intake replica (its own process and port)."""
    original = platform.services["hazard_intake"]
    port = free_port()
    env = {**original.env, "HAZARD_INTAKE_PORT": str(port)}
    replica = ServiceProcess(
        "hazard_intake", port, env, platform.workdir / f"hazard_intake-{port}.log"
    )
    replica.start()
    try:
        await replica.wait_ready()
        return await http.post(
            f"{replica.url}/v1/reports",
            json=body,
            headers={**client.headers, "Idempotency-Key": key},
        )
    finally:
        replica.stop()


async def keeper_reports(
    admin: ApiClient, description: str
) -> tuple[ApiClient, str, dict[str, str], httpx.Response]:
    """Have a new school's keeper report once with a fresh key; return keeper, key, body and
    the answer (202)."""
    school = await new_school(admin)
    keeper = await school.login(admin, school.keeper)
    key = uuid.uuid4().hex
    body = {"point_id": school.point_id, "category": "fire", "description": description}
    first = await keeper.post("hazard_intake", "/v1/reports", body, key=key)
    assert first.status_code == 202, first.text
    return keeper, key, body, first


async def test_a_key_reused_on_another_replica_is_refused_there_too(
    platform: Platform, admin: ApiClient, http: httpx.AsyncClient
) -> None:
    keeper, key, first_body, first = await keeper_reports(admin, "灭火器过期")
    again = await keeper.post("hazard_intake", "/v1/reports", first_body, key=key)
    assert (again.status_code, again.headers.get("idempotent-replayed")) == (202, "true")
    assert again.json() == first.json()
    assert "idempotent-replayed" not in first.headers

    other_body = {**first_body, "description": "楼梯扶手松动"}
    elsewhere = await post_on_another_replica(platform, http, keeper, other_body, key)
    assert elsewhere.status_code == 422, elsewhere.text
    assert elsewhere.json()["error"]["code"] == "idempotency_key_reused"
    retried = await post_on_another_replica(platform, http, keeper, first_body, key)
    assert (retried.status_code, retried.headers.get("idempotent-replayed")) == (202, "true")
    assert retried.json() == first.json()


async def test_a_key_reused_after_its_answer_expired_is_refused_and_its_reporter_told(
    platform: Platform, admin: ApiClient, http: httpx.AsyncClient
) -> None:
    keeper, key, first_body, first = await keeper_reports(admin, "配电箱未上锁")
    report_id = first.json()["report_id"]
    await hazard(admin, report_id, status="assigned")
    me = (await keeper.get("grid_registry", "/v1/auth/me")).json()
    await platform.forget_idempotency_key("hazard_intake", me["user_id"], key)

    # Intake cannot tell any more: the broker has the report, under the first one's id.
    other_body = {**first_body, "description": "楼梯扶手松动"}
    late = await keeper.post("hazard_intake", "/v1/reports", other_body, key=key)
    assert late.status_code == 202, late.text
    assert late.json()["report_id"] == report_id

    told = await notice(keeper, report_id, "report_key_reused", CATCH_UP)
    assert "楼梯扶手松动" in told["body_zh"]
    assert "重新发送" in told["title_zh"]
    kept = await hazard(admin, report_id)
    assert kept["description"] == "配电箱未上锁"  # the first report stands, unchanged
    assert kept["linked_reports"] == []


async def test_a_reused_key_of_a_report_that_joined_a_hazard_is_refused_there(
    platform: Platform, admin: ApiClient, http: httpx.AsyncClient
) -> None:
    school = await new_school(admin)
    policy = await admin.http.put(
        f"{platform.url('hazard_cases')}/v1/deadline-policies/{school.school_id}",
        json={"duplicate_window_hours": 24},
        headers=admin.headers,
    )
    assert policy.status_code == 200, policy.text
    keeper = await school.login(admin, school.keeper)
    zone_head = await school.login(admin, school.zone_head)
    body = {"point_id": school.point_id, "category": "fire", "description": "消防通道堆放纸箱"}
    first = await keeper.post("hazard_intake", "/v1/reports", body)
    assert first.status_code == 202, first.text
    hazard_id = first.json()["report_id"]
    await hazard(admin, hazard_id, status="assigned")
    key = uuid.uuid4().hex
    joined = await zone_head.post(
        "hazard_intake", "/v1/reports", {**body, "description": "纸箱越堆越多"}, key=key
    )
    assert joined.status_code == 202, joined.text
    await notice(zone_head, hazard_id, "report_linked", CATCH_UP)

    me = (await zone_head.get("grid_registry", "/v1/auth/me")).json()
    await platform.forget_idempotency_key("hazard_intake", me["user_id"], key)
    reused = {**body, "description": "楼道灯不亮"}
    assert (
        await zone_head.post("hazard_intake", "/v1/reports", reused, key=key)
    ).status_code == 202

    told = await notice(zone_head, hazard_id, "report_key_reused", CATCH_UP)
    assert "楼道灯不亮" in told["body_zh"]
    kept = await hazard(admin, hazard_id)
    assert [r["description"] for r in kept["linked_reports"]] == ["纸箱越堆越多"]
