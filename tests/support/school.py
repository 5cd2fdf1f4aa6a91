"""A fresh school for a test: its grids, people with logins, and a risk point, via the registry's
API, so that tests sharing the platform do not step on each other's hazards."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.client import ApiClient
from tests.support.waiting import wait_until

PASSWORD = "test-password-1"


@dataclass
class School:
    """What `new_school` made: ids, and logins (username → person id)."""

    tag: str
    school_id: str
    zone_id: str
    point_id: str
    head: str  # username of the school head (school_head role)
    zone_head: str  # username of the zone's head (teacher)
    keeper: str  # username of the person answering for the point (teacher)
    people: dict[str, str]  # username → person id

    async def login(self, admin: ApiClient, username: str) -> ApiClient:
        """Log in as one of the school's people."""
        return await ApiClient.login(admin.platform, admin.http, username, PASSWORD)


async def _created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _person(admin: ApiClient, grid_id: str, name: str, username: str, role: str) -> str:
    body = {
        "name": name,
        "grid_id": grid_id,
        "post": "教师",
        "account": {"username": username, "password": PASSWORD, "role": role},
    }
    return str((await _created(await admin.post("grid_registry", "/v1/people", body)))["person_id"])


async def _head(admin: ApiClient, kind: str, target_id: str, person_id: str) -> None:
    body = {"target_kind": kind, "target_id": target_id, "person_id": person_id}
    await _created(await admin.post("grid_registry", "/v1/assignments", body))


async def new_school(admin: ApiClient, *, grade: str = "red", category: str = "fire") -> School:
    """Create a school under demo-township with a zone, a point and three people with logins."""
    tag = uuid.uuid4().hex[:6]
    school = await _created(
        await admin.post(
            "grid_registry",
            "/v1/grids",
            {"name": f"测试学校{tag}", "level": "L3", "parent_id": "demo-township"},
        )
    )
    zone = await _created(
        await admin.post(
            "grid_registry",
            "/v1/grids",
            {"name": f"教学楼{tag}", "level": "L4", "parent_id": school["grid_id"]},
        )
    )
    head, zone_head, keeper = f"head-{tag}", f"zone-{tag}", f"keeper-{tag}"
    people = {
        head: await _person(admin, school["grid_id"], f"校长{tag}", head, "school_head"),
        zone_head: await _person(admin, zone["grid_id"], f"楼长{tag}", zone_head, "teacher"),
        keeper: await _person(admin, zone["grid_id"], f"管理员{tag}", keeper, "teacher"),
    }
    await _head(admin, "grid", school["grid_id"], people[head])
    await _head(admin, "grid", zone["grid_id"], people[zone_head])
    point = await _created(
        await admin.post(
            "grid_registry",
            "/v1/risk-points",
            {
                "grid_id": zone["grid_id"],
                "name": f"消防通道{tag}",
                "category": category,
                "risk_grade": grade,
                "responsible_person_id": people[keeper],
                "check_items": ["通道是否畅通"],
            },
        )
    )
    made = School(
        tag, school["grid_id"], zone["grid_id"], point["point_id"], head, zone_head, keeper, people
    )
    # Intake and the case service learn the place from the registry's events.
    await wait_until(
        lambda: _known(admin, made.point_id), timeout=30, what="intake to learn the new point"
    )
    return made


async def _known(admin: ApiClient, point_id: str) -> bool:
    response = await admin.get("hazard_intake", f"/v1/points/{point_id}")
    return response.status_code == 200


async def report(teacher: ApiClient, school: School, description: str, **extra: Any) -> str:
    """Report a hazard at the school's point; return the report (and hazard) id."""
    body = {"point_id": school.point_id, "category": "fire", "description": description, **extra}
    response = await teacher.post("hazard_intake", "/v1/reports", body)
    assert response.status_code == 202, response.text
    return str(response.json()["report_id"])


async def hazard(client: ApiClient, hazard_id: str, **expected: Any) -> dict[str, Any]:
    """Wait until the hazard is visible to `client` with the `expected` fields; return it."""

    async def probe() -> dict[str, Any] | None:
        response = await client.get("hazard_cases", f"/v1/hazards/{hazard_id}")
        if response.status_code != 200:
            return None
        body = dict(response.json())
        return body if all(body.get(k) == v for k, v in expected.items()) else None

    return await wait_until(probe, timeout=30, what=f"hazard {hazard_id} with {expected}")


async def notice(
    client: ApiClient,
    hazard_id: str,
    kind: str,
    timeout: float = 30,  # noqa: ASYNC109  (a deadline for polling, not a cancel scope)
) -> dict[str, Any]:
    """Wait until `client`'s inbox holds a notification of `kind` about the hazard."""

    async def probe() -> dict[str, Any] | None:
        items = (await client.get("notifications", "/v1/notifications", limit=200)).json()["items"]
        found = [n for n in items if n["hazard_id"] == hazard_id and n["kind"] == kind]
        return found[0] if found else None

    return await wait_until(probe, timeout=timeout, what=f"a {kind} notification")
