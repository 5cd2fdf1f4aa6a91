"""Throttles and lockouts on a platform with the default rates: wrong passwords lock a login
(audited), and one user or Open311 client cannot send without limit (429 with Retry-After)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from services.hazard_intake.config import Settings as IntakeSettings
from tests.support.client import ApiClient
from tests.support.platform import Platform, running_platform
from tests.support.waiting import wait_until


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """A platform of this module's own, at the default rates (the shared one lifts them for
    the bursts of other tests), but for Open311's, lowered to be reached in a test."""
    defaults = IntakeSettings.model_fields
    rates = {
        "HAZARD_INTAKE_REPORTS_PER_USER": defaults["reports_per_user"].default,
        "HAZARD_INTAKE_CHECKINS_PER_USER": defaults["checkins_per_user"].default,
        "HAZARD_INTAKE_OPEN311_PER_CLIENT": "5/minute",
    }
    with running_platform(tmp_path_factory.mktemp("throttling"), rates) as running:
        yield running


def _token_url(platform: Platform) -> str:
    return f"{platform.url('grid_registry')}/v1/auth/token"


async def test_the_eleventh_wrong_password_is_refused_and_the_lock_is_audited(
    platform: Platform, http: httpx.AsyncClient
) -> None:
    wrong = {"username": "demo-head", "password": "not-the-password"}
    answers = [(await http.post(_token_url(platform), data=wrong)).status_code for _ in range(10)]
    assert answers == [401] * 10
    eleventh = await http.post(_token_url(platform), data=wrong)
    assert eleventh.status_code == 429
    assert eleventh.json()["error"]["code"] == "login_locked"
    assert eleventh.json()["error"]["message_zh"]
    assert 800 < int(eleventh.headers["retry-after"]) <= 900  # the 15-minute window
    # Locked means locked: the right password waits too.
    right = await http.post(
        _token_url(platform), data={"username": "demo-head", "password": "demo-head"}
    )
    assert right.status_code == 429
    # Other logins from the same address are not locked by one login's failures.
    admin = await ApiClient.login(platform, http, "demo-admin")

    trail = await admin.get(
        "grid_registry", "/v1/audit", target_kind="person", target_id="demo-p-head"
    )
    assert trail.status_code == 200, trail.text
    locks = [record for record in trail.json() if record["action"] == "login_locked"]
    assert len(locks) == 1
    assert locks[0]["after"]["username"] == "demo-head"


async def test_a_successful_log_in_clears_earlier_failures(
    platform: Platform, http: httpx.AsyncClient
) -> None:
    wrong = {"username": "demo-teacher", "password": "typo"}
    for _ in range(9):
        assert (await http.post(_token_url(platform), data=wrong)).status_code == 401
    await ApiClient.login(platform, http, "demo-teacher")
    for _ in range(9):  # nine more: still not locked, the count started again
        assert (await http.post(_token_url(platform), data=wrong)).status_code == 401
    await ApiClient.login(platform, http, "demo-teacher")


async def test_one_user_cannot_report_without_limit(
    platform: Platform, http: httpx.AsyncClient
) -> None:
    operator = await ApiClient.login(platform, http, "demo-admin")
    items = [
        {
            "idempotency_key": uuid.uuid4().hex,
            "point_id": "demo-point-fire-exit",
            "category": "fire",
            "description": f"批量上报 {n}",
        }
        for n in range(100)
    ]

    async def accepted() -> httpx.Response | None:
        # Intake learns the demo points from the registry shortly after start.
        answer = await operator.post("hazard_intake", "/v1/reports/batch", {"reports": items[:1]})
        return answer if answer.json().get("accepted") == 1 else None

    await wait_until(accepted, timeout=60, what="intake to learn the demo points")
    full = await operator.post("hazard_intake", "/v1/reports/batch", {"reports": items[1:100]})
    assert full.status_code == 200, full.text
    single = {k: v for k, v in items[0].items() if k != "idempotency_key"}
    for _ in range(20):  # 120 a minute by default
        assert (await operator.post("hazard_intake", "/v1/reports", single)).status_code == 202
    refused = await operator.post("hazard_intake", "/v1/reports", single)
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"]["code"] == "too_many_requests"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    # Another user is counted on their own.
    teacher = await ApiClient.login(platform, http, "demo-teacher")
    assert (await teacher.post("hazard_intake", "/v1/reports", single)).status_code == 202


async def test_an_open311_client_cannot_file_without_limit(
    platform: Platform, http: httpx.AsyncClient, admin: ApiClient
) -> None:
    body = {"name": "城关镇网格化服务中心", "jurisdiction_id": "demo-school"}
    key = uuid.uuid4().hex

    async def registered() -> httpx.Response | None:
        answer = await admin.post("hazard_intake", "/v1/open311/clients", body, key=key)
        return answer if answer.status_code == 201 else None

    api_key = (await wait_until(registered, timeout=60, what="intake to learn the school")).json()[
        "api_key"
    ]
    url = f"{platform.url('hazard_intake')}/open311/v2/requests.json"
    form = {
        "api_key": api_key,
        "service_code": "campus_security",
        "description": "校门口东侧围墙有缺口",
        "attribute[grid_id]": "demo-school",
    }
    statuses = [(await http.post(url, data=form)).status_code for _ in range(5)]
    assert statuses == [201] * 5
    refused = await http.post(url, data=form)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.json()[0]["code"] == 429  # GeoReport v2's error list
    assert "请求过于频繁" in refused.json()[0]["description"]
