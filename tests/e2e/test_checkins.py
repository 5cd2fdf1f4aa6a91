"""Patrols, health checks and duty check-ins through intake, read back from RabbitMQ itself."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aio_pika
import httpx
import pytest
from aio_pika.abc import AbstractQueue

from shared.events import (
    DutyCheckedIn,
    Event,
    HealthCheckSubmitted,
    PatrolCheckedIn,
    RiskPointChanged,
    decode_cloudevent,
)
from shared.messaging.topology import exchange_name
from tests.support.client import ApiClient
from tests.support.platform import Platform
from tests.support.waiting import wait_until

CN = ZoneInfo("Asia/Shanghai")
CHECK_ITEMS = ["通道是否畅通", "灭火器是否在有效期内", "应急照明是否正常"]


class Tap:
    """A queue of our own bound to a producer's exchange: what was really published."""

    def __init__(self, queue: AbstractQueue, raw: list[bytes]) -> None:
        self.queue = queue
        self.raw = raw
        self.seen: list[Event] = []

    async def find(self, match: Callable[[Event], bool], what: str) -> Event:
        """Wait for a published event that `match` accepts, and return it."""

        async def probe() -> Event | None:
            while (message := await self.queue.get(no_ack=True, fail=False)) is not None:
                self.raw.append(message.body)
                self.seen.append(decode_cloudevent(message.body)[0])
            return next((event for event in self.seen if match(event)), None)

        return await wait_until(probe, timeout=60, what=what)


@pytest.fixture
async def taps(platform: Platform) -> AsyncIterator[dict[str, Tap]]:
    """Taps on intake's and the registry's exchanges in the platform's vhost."""
    connection = await aio_pika.connect(platform.infra.amqp_url_for(platform.vhost))
    channel = await connection.channel()
    taps: dict[str, Tap] = {}
    for producer in ("hazard_intake", "grid_registry"):
        exchange = await channel.declare_exchange(
            exchange_name(producer), aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue("", exclusive=True)
        await queue.bind(exchange, routing_key="#")
        taps[producer] = Tap(queue, [])
    yield taps
    await connection.close()


@pytest.fixture
async def teacher(platform: Platform, http: httpx.AsyncClient) -> ApiClient:
    return await ApiClient.login(platform, http, "demo-teacher")


async def new_point(admin: ApiClient, grid_id: str = "demo-zone-teaching") -> str:
    body = {
        "grid_id": grid_id,
        "name": f"巡查测试点{uuid.uuid4().hex[:4]}",
        "category": "fire",
        "risk_grade": "red",
        "check_items": CHECK_ITEMS,
    }
    response = await admin.post("grid_registry", "/v1/risk-points", body)
    assert response.status_code == 201, response.text
    return str(response.json()["point_id"])


async def issue(admin: ApiClient, point_id: str, *, replace: bool = False) -> dict[str, Any]:
    path = f"/v1/risk-points/{point_id}/qr" + ("?replace=true" if replace else "")
    response = await admin.post("grid_registry", path)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def revoke(admin: ApiClient, token: str) -> None:
    response = await admin.http.delete(
        f"{admin.platform.url('grid_registry')}/v1/qr/{token}", headers=admin.headers
    )
    assert response.status_code == 204, response.text


def now_cn() -> str:
    return datetime.now(CN).isoformat()


def patrol(token: str, *, broken: str | None = None) -> dict[str, Any]:
    """A patrol answering every check item; `broken` is answered not ok."""
    return {
        "qr_token": token,
        "results": [
            {
                "item": item,
                "ok": item != broken,
                **({"note": "2 具已过期"} if item == broken else {}),
            }
            for item in CHECK_ITEMS
        ],
        "location": {"lat": 23.4761, "lon": 111.2791},
        "checked_at": now_cn(),
    }


async def accepted_once_learnt(user: ApiClient, body: dict[str, Any]) -> httpx.Response:
    """POST a patrol (fresh key each time) until intake has learnt of its token."""

    async def probe() -> httpx.Response | None:
        response = await user.post("hazard_intake", "/v1/patrols", body)
        assert response.status_code in (202, 422), response.text
        return response if response.status_code == 202 else None

    return await wait_until(probe, timeout=60, what="intake to accept the QR token")


async def refused_once_learnt(user: ApiClient, body: dict[str, Any]) -> httpx.Response:
    """POST a patrol until intake refuses its token (it learns of revocations by events)."""

    async def probe() -> httpx.Response | None:
        response = await user.post("hazard_intake", "/v1/patrols", body)
        assert response.status_code in (202, 422), response.text
        return response if response.status_code == 422 else None

    return await wait_until(probe, timeout=60, what="intake to refuse the QR token")


def fields(response: httpx.Response) -> dict[str, dict[str, str]]:
    """Return the error details of a 422 by field name."""
    assert response.status_code == 422, response.text
    return {detail["field"]: detail for detail in response.json()["error"]["details"]}


async def test_patrol_with_the_points_qr_code_is_published_with_its_results(
    admin: ApiClient, teacher: ApiClient, taps: dict[str, Tap]
) -> None:
    point_id = await new_point(admin)
    issued = await issue(admin, point_id)
    token = issued["token"]

    # The registry announced the token only as its SHA-256, never the token itself.
    digest = hashlib.sha256(token.encode()).hexdigest()
    announced = await taps["grid_registry"].find(
        lambda e: isinstance(e, RiskPointChanged) and e.qr_token_sha256 == digest,
        "RiskPointChanged with the token's digest",
    )
    assert isinstance(announced, RiskPointChanged)
    assert announced.point_id == point_id
    assert list(announced.check_items) == CHECK_ITEMS
    assert not any(token.encode() in body for body in taps["grid_registry"].raw)

    # The whole URL the printed code encodes works as well as the bare token.
    body = patrol(issued["url"], broken="灭火器是否在有效期内")
    first = await accepted_once_learnt(teacher, body)
    answer = first.json()
    assert answer["any_problem"] is True

    event = await taps["hazard_intake"].find(
        lambda e: isinstance(e, PatrolCheckedIn) and e.patrol_id == answer["patrol_id"],
        "the PatrolCheckedIn event",
    )
    assert isinstance(event, PatrolCheckedIn)
    assert event.point_id == point_id
    assert event.grid_id == "demo-zone-teaching"
    assert event.grid_path.endswith("/demo-school/demo-zone-teaching/")
    assert event.patroller.name == "王芳"
    assert event.any_problem is True
    assert [(r.item, r.ok, r.note) for r in event.results] == [
        ("通道是否畅通", True, None),
        ("灭火器是否在有效期内", False, "2 具已过期"),
        ("应急照明是否正常", True, None),
    ]
    assert event.location is not None
    assert event.location.lat == pytest.approx(23.4761)

    # The check list must be answered as it is: every item, nothing else.
    short = {**body, "results": body["results"][:2]}
    missing = fields(await teacher.post("hazard_intake", "/v1/patrols", short))["results"]
    assert "应急照明是否正常" in missing["message_zh"]
    assert "应急照明是否正常" in missing["message_en"]
    typo = {**body, "results": [{"item": "通道畅通吗", "ok": True}, *body["results"][1:]]}
    assert "results.0.item" in fields(await teacher.post("hazard_intake", "/v1/patrols", typo))

    # A point id alone is no proof of presence.
    by_id = {**body, "qr_token": point_id}
    assert "qr_token" in fields(await teacher.post("hazard_intake", "/v1/patrols", by_id))


async def test_retries_match_and_a_reused_key_with_another_body_is_refused(
    admin: ApiClient, teacher: ApiClient
) -> None:
    point_id = await new_point(admin)
    token = (await issue(admin, point_id))["token"]
    body = patrol(token)
    await accepted_once_learnt(teacher, body)

    key = uuid.uuid4().hex
    first = await teacher.post("hazard_intake", "/v1/patrols", body, key=key)
    again = await teacher.post("hazard_intake", "/v1/patrols", body, key=key)
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    other = await teacher.post(
        "hazard_intake", "/v1/patrols", patrol(token, broken="通道是否畅通"), key=key
    )
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"

    missing_key = await teacher.http.post(
        f"{teacher.platform.url('hazard_intake')}/v1/patrols", json=body, headers=teacher.headers
    )
    assert missing_key.status_code == 400
    assert missing_key.json()["error"]["code"] == "idempotency_key_missing"


async def test_a_revoked_token_is_refused_naming_qr_token(
    admin: ApiClient, teacher: ApiClient
) -> None:
    point_id = await new_point(admin)
    token = (await issue(admin, point_id))["token"]
    await accepted_once_learnt(teacher, patrol(token))

    await revoke(admin, token)
    detail = fields(await refused_once_learnt(teacher, patrol(token)))["qr_token"]
    assert "二维码" in detail["message_zh"]
    assert "QR code" in detail["message_en"]


async def test_a_replaced_token_works_and_the_old_one_does_not(
    admin: ApiClient, teacher: ApiClient
) -> None:
    point_id = await new_point(admin)
    old = (await issue(admin, point_id))["token"]
    await accepted_once_learnt(teacher, patrol(old))

    new = (await issue(admin, point_id, replace=True))["token"]
    assert new != old
    await accepted_once_learnt(teacher, patrol(new))
    refused = await teacher.post("hazard_intake", "/v1/patrols", patrol(old))
    assert "qr_token" in fields(refused)


async def test_a_token_outside_ones_subtree_is_refused_like_an_unknown_one(
    admin: ApiClient, teacher: ApiClient
) -> None:
    school = await admin.post(
        "grid_registry",
        "/v1/grids",
        {"name": f"测试小学{uuid.uuid4().hex[:4]}", "level": "L3", "parent_id": "demo-township"},
    )
    assert school.status_code == 201, school.text
    point_id = await new_point(admin, school.json()["grid_id"])
    token = (await issue(admin, point_id))["token"]
    await accepted_once_learnt(admin, patrol(token))  # intake knows the token now
    assert "qr_token" in fields(await teacher.post("hazard_intake", "/v1/patrols", patrol(token)))


def health_check(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "grid_id": "demo-zone-teaching",
        "session": "morning",
        "check_date": datetime.now(CN).date().isoformat(),
        "enrolled": 45,
        "present": 42,
        "absent": 3,
        "absent_ill": 2,
        "ill_students": [
            {"symptoms": ["fever", "cough"], "note": "昨晚起发热 38.5℃"},
            {"symptoms": ["other"], "other_symptom": "头痛"},
        ],
        "checked_at": now_cn(),
    }
    return {**body, **changes}


async def test_health_check_is_published_and_its_counts_must_add_up(
    teacher: ApiClient, taps: dict[str, Tap]
) -> None:
    response = await teacher.post("hazard_intake", "/v1/health-checks", health_check())
    assert response.status_code == 202, response.text
    health_check_id = response.json()["health_check_id"]
    event = await taps["hazard_intake"].find(
        lambda e: isinstance(e, HealthCheckSubmitted) and e.health_check_id == health_check_id,
        "the HealthCheckSubmitted event",
    )
    assert isinstance(event, HealthCheckSubmitted)
    assert event.class_name == "教学楼"  # a class's grid names the class
    assert (event.present, event.absent, event.absent_ill) == (42, 3, 2)
    assert [list(s.symptoms) for s in event.ill_students] == [["fever", "cough"], ["other"]]
    assert event.ill_students[1].other_symptom == "头痛"
    assert event.checked_by.name == "王芳"

    post = teacher.post
    wrong_total = fields(
        await post("hazard_intake", "/v1/health-checks", health_check(enrolled=46))
    )
    assert "应到" in wrong_total["enrolled"]["message_zh"]
    assert "enrolled" in wrong_total["enrolled"]["message_en"]
    too_ill = fields(
        await post("hazard_intake", "/v1/health-checks", health_check(absent_ill=4, enrolled=None))
    )
    assert "因病缺勤" in too_ill["absent_ill"]["message_zh"]
    assert "absent_ill (4) cannot exceed absent (3)" in too_ill["absent_ill"]["message_en"]
    unrecorded = fields(
        await post("hazard_intake", "/v1/health-checks", health_check(ill_students=[]))
    )
    assert "ill_students" in unrecorded
    named = health_check(ill_students=[{"symptoms": ["fever"], "note": "家长电话13800138000"}] * 2)
    privacy = fields(await post("hazard_intake", "/v1/health-checks", named))
    assert "身份证" in privacy["ill_students.0.note"]["message_zh"]
    school = fields(
        await post("hazard_intake", "/v1/health-checks", health_check(grid_id="demo-school"))
    )
    assert "班级" in school["class_name"]["message_zh"]
    tomorrow = (datetime.now(CN).date() + timedelta(days=1)).isoformat()
    future = fields(
        await post("hazard_intake", "/v1/health-checks", health_check(check_date=tomorrow))
    )
    assert "今天" in future["check_date"]["message_zh"]
    assert "today" in future["check_date"]["message_en"]

    key = uuid.uuid4().hex
    first = await post("hazard_intake", "/v1/health-checks", health_check(), key=key)
    assert first.status_code == 202
    other = await post(
        "hazard_intake",
        "/v1/health-checks",
        health_check(present=41, absent=4, enrolled=None, absent_ill=2),
        key=key,
    )
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"


async def test_duty_check_in_and_out_round_trip(
    teacher: ApiClient, platform: Platform, http: httpx.AsyncClient, taps: dict[str, Tap]
) -> None:
    ids = []
    for action in ("check_in", "check_out"):
        body = {"grid_id": "demo-school", "action": action, "shift": "night", "note": "校门已锁"}
        response = await teacher.post("hazard_intake", "/v1/duty-checkins", body)
        assert response.status_code == 202, response.text
        ids.append(response.json()["duty_checkin_id"])
    events = [
        await taps["hazard_intake"].find(
            lambda e, i=i: isinstance(e, DutyCheckedIn) and e.duty_checkin_id == i,
            "the DutyCheckedIn event",
        )
        for i in ids
    ]
    assert [(e.action, e.shift, e.grid_name) for e in events if isinstance(e, DutyCheckedIn)] == [
        ("check_in", "night", "城关镇第一小学"),
        ("check_out", "night", "城关镇第一小学"),
    ]
    # Each carries the hash of its own body, for a consumer to tell a reused key from a retry.
    fingerprints = {e.body_fingerprint for e in events if isinstance(e, DutyCheckedIn)}
    assert len(fingerprints) == 2
    assert None not in fingerprints

    zone = {"grid_id": "demo-zone-teaching", "action": "check_in", "shift": "day"}
    assert "grid_id" in fields(await teacher.post("hazard_intake", "/v1/duty-checkins", zone))
    police = await ApiClient.login(platform, http, "demo-police")
    refused = await police.post(
        "hazard_intake", "/v1/duty-checkins", {**zone, "grid_id": "demo-school"}
    )
    assert refused.status_code == 403
