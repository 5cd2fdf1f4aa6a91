"""Logins and real objects of the demo county, for the fuzzer to aim at.

Ids drawn at random from a schema almost always answer 404, which tests nothing past the
lookup. So before fuzzing, each role logs in, the county gets a few hazards, a QR token, an
upload slot and an Open311 client with a request of its own, and the ids of these and of the
demo county's grids, people, points and assignments are kept by the name of the parameter
(path, query or body field) that takes them. The fuzzer uses them in about half its draws.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from tests.support.platform import Platform

T = TypeVar("T")

# The demo logins (the password is the username), one per role.
ROLES = {
    "county_operator": "demo-admin",
    "school_head": "demo-head",
    "teacher": "demo-teacher",
    "agency": "demo-police",
}
GRIDS = [
    "demo-county",
    "demo-township",
    "demo-school",
    "demo-zone-teaching",
    "demo-zone-canteen",
    "demo-outside-gate",
]
POINTS = ["demo-point-fire-exit", "demo-point-stairs", "demo-point-kitchen"]
PEOPLE = ["demo-p-admin", "demo-p-head", "demo-p-teacher", "demo-p-duty1", "demo-p-police"]
ASSIGNMENTS = ["demo-a-county", "demo-a-school", "demo-a-teaching", "demo-a-weekly-duty"]


@dataclass
class Identity:
    """Who the fuzzer sends requests as: a role's bearer token, or nobody (public routes)."""

    name: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class County:
    """The identities and the ids of real objects, by the parameter name that takes them."""

    roles: list[Identity]
    open311_api_key: str
    ids: dict[str, list[str]]


def _wait(probe: Callable[[], T | None], what: str, timeout: float = 60) -> T:
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


class _Client:
    """One role's requests to the platform, writes keyed."""

    def __init__(self, platform: Platform, http: httpx.Client, token: str) -> None:
        self.platform = platform
        self.http = http
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, service: str, path: str, **params: Any) -> httpx.Response:
        url = f"{self.platform.url(service)}{path}"
        return self.http.get(url, headers=self.headers, params=params)

    def post(self, service: str, path: str, body: Any = None) -> httpx.Response:
        headers = {**self.headers, "Idempotency-Key": uuid.uuid4().hex}
        return self.http.post(f"{self.platform.url(service)}{path}", json=body, headers=headers)


def _created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201, 202), response.text
    return dict(response.json())


def prepare_county(platform: Platform, http: httpx.Client) -> County:
    """Log every role in and give the demo county objects of each kind the API names."""
    clients: dict[str, _Client] = {}
    for role, username in ROLES.items():
        answer = http.post(
            f"{platform.url('grid_registry')}/v1/auth/token",
            data={"username": username, "password": username},
        )
        assert answer.status_code == 200, answer.text
        clients[role] = _Client(platform, http, answer.json()["access_token"])
    admin, teacher = clients["county_operator"], clients["teacher"]

    # Intake and the case service learn the demo county from the registry's events.
    for point in POINTS:
        _wait(
            lambda p=point: teacher.get("hazard_intake", f"/v1/points/{p}").status_code == 200,
            f"intake to learn {point}",
        )
    hazards = [
        _created(
            teacher.post(
                "hazard_intake",
                "/v1/reports",
                {"point_id": point, "category": category, "description": "消防通道堆放杂物"},
            )
        )["report_id"]
        for point, category in ((POINTS[0], "fire"), (POINTS[2], "food_hygiene"))
    ]
    for hazard_id in hazards:
        _wait(
            lambda h=hazard_id: admin.get("hazard_cases", f"/v1/hazards/{h}").status_code == 200,
            f"hazard {hazard_id}",
        )
    qr = _created(admin.post("grid_registry", f"/v1/risk-points/{POINTS[1]}/qr"))
    media = _created(
        teacher.post(
            "media_storage",
            "/v1/uploads",
            {"content_type": "image/jpeg", "size_bytes": 1000, "purpose": "finding"},
        )
    )
    client = _wait(
        lambda: (
            (
                answer := admin.post(
                    "hazard_intake",
                    "/v1/open311/clients",
                    {"name": "12345 市民服务热线", "jurisdiction_id": "demo-school"},
                )
            ).status_code
            == 201
            and answer.json()
        ),
        "intake to learn the school for an Open311 client",
    )
    request = http.post(
        f"{platform.url('hazard_intake')}/open311/v2/requests.json",
        data={
            "api_key": client["api_key"],
            "service_code": "fire",
            "description": "校门口消防栓被遮挡",
            "attribute[point_id]": POINTS[0],
        },
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    requests_filed = [str(r["service_request_id"]) for r in _created_list(request)]
    notifications = [
        str(item["notification_id"])
        for role in clients.values()
        for item in role.get("notifications", "/v1/notifications").json().get("items", [])
    ]
    grids = GRIDS
    ids = {
        "grid_id": grids,
        "parent_id": grids,
        "jurisdiction_id": grids,
        "target_id": grids + POINTS,
        "point_id": POINTS,
        "person_id": PEOPLE,
        "responsible_person_id": PEOPLE,
        "assignment_id": ASSIGNMENTS,
        "hazard_id": hazards,
        "report_id": hazards,
        "into_hazard_id": hazards,
        "token": [str(qr["token"])],
        "media_id": [str(media["media_id"])],
        "agency_id": ["demo-agency-police"],
        "client_id": [str(client["client_id"])],
        "service_request_id": requests_filed,
        "notification_id": notifications or ["none-yet"],
    }
    roles = [Identity(role, client.headers) for role, client in clients.items()]
    return County(roles=roles, open311_api_key=str(client["api_key"]), ids=ids)


def _created_list(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 201, response.text
    return list(response.json())
