"""A small county for the authorization matrix, built through the services' APIs.

Under the demo county: two townships (T1, T2), each with two schools (S11, S12, S21, S22),
each school with one zone (Z11 …) and one risk point in it, a head for every grid; logins for
each role at its level (a county operator at the county, a school head at S11, a teacher
heading Z11, an agency liaison at T1 whose agency covers the county); hazards in Z11 (the
teacher's own), Z12, Z21 and Z22, the first of each reported with a photo; an Open311 client
filing into T1; parked messages about hazards in Z11 and Z21; notifications in the teacher's
inbox and in Z12's head's; an upload slot of each caller who uploads, attached to nothing.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import aio_pika
import httpx
from pymongo import AsyncMongoClient

from tests.support.client import ApiClient
from tests.support.photos import confirm, jpeg_with_gps, upload
from tests.support.platform import Platform
from tests.support.waiting import wait_until

PASSWORD = "matrix-password-1"
COUNTY = "C"
TREE = {"T1": ("S11", "S12"), "T2": ("S21", "S22")}
ZONES = {school: "Z" + school[1:] for schools in TREE.values() for school in schools}
CATEGORY = "campus_security"  # what the liaison's agency (and the demo police) subscribe to
CALLERS = ("county_operator", "school_head", "teacher", "agency", "open311_client", "public")


@dataclass
class World:
    """What the county holds: ids and paths per place, and each caller's credentials."""

    platform: Platform
    http: httpx.AsyncClient
    tag: str
    admin: dict[str, str] = field(default_factory=dict)  # the demo county's operator, for setup
    grids: dict[str, str] = field(default_factory=dict)  # place → grid id
    paths: dict[str, str] = field(default_factory=dict)  # place → materialized path
    heads: dict[str, str] = field(default_factory=dict)  # place → person id heading it
    points: dict[str, str] = field(default_factory=dict)  # zone → risk point id
    tokens: dict[str, str] = field(default_factory=dict)  # zone → the point's QR token
    hazards: dict[str, tuple[str, str]] = field(default_factory=dict)  # zone → two hazard ids
    photos: dict[str, str] = field(default_factory=dict)  # zone → its first report's photo
    uploads: dict[str, str] = field(default_factory=dict)  # caller → an upload, not attached
    agencies: dict[str, str] = field(default_factory=dict)  # A1 (the liaison's), A2 → id
    notifications: dict[str, str] = field(default_factory=dict)  # teacher, other → id
    parked: dict[str, str] = field(default_factory=dict)  # zone → parked message id
    headers: dict[str, dict[str, str]] = field(default_factory=dict)  # caller → auth header
    scope: dict[str, str] = field(default_factory=dict)  # caller → subtree path
    users: dict[str, str] = field(default_factory=dict)  # caller → username
    api_key: str = ""
    open311_request: str = ""
    template: bytes = b""
    policy: dict[str, Any] = field(default_factory=dict)


async def _created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201, 202), response.text
    return dict(response.json())


async def admin_post(
    world: World, service: str, path: str, body: Any = None, **query: str
) -> dict[str, Any]:
    """POST as the demo county's operator (to prepare an object for one case); return it.

    Other cases change the same grid at the same time: a write that lost the race is retried.
    """
    url = world.platform.url(service) + path
    for _ in range(10):
        headers = {**world.admin, "Idempotency-Key": uuid.uuid4().hex}
        response = await world.http.post(url, json=body, params=query, headers=headers)
        if response.status_code != 409:
            break
    return await _created(response)


async def _grid(admin: ApiClient, world: World, place: str, level: str, parent: str) -> None:
    body = {"name": f"矩阵{place}-{world.tag}", "level": level, "parent_id": world.grids[parent]}
    grid = await _created(await admin.post("grid_registry", "/v1/grids", body))
    world.grids[place], world.paths[place] = grid["grid_id"], grid["path"]


async def _person(
    admin: ApiClient, world: World, place: str, role: str | None = None, **account: str
) -> str:
    body: dict[str, Any] = {"name": f"{place}负责人{world.tag}", "grid_id": world.grids[place]}
    body["post"] = "网格长"
    if role is not None:
        username = f"matrix-{role}-{world.tag}"
        body["account"] = {"username": username, "password": PASSWORD, "role": role, **account}
        world.users[role] = username
    return str((await _created(await admin.post("grid_registry", "/v1/people", body)))["person_id"])


async def _tree(admin: ApiClient, world: World) -> None:
    county = (await admin.get("grid_registry", "/v1/grids/demo-county")).json()
    world.grids[COUNTY], world.paths[COUNTY] = county["grid_id"], county["path"]
    world.heads[COUNTY] = "demo-p-admin"
    await asyncio.gather(*(_grid(admin, world, t, "L2", COUNTY) for t in TREE))
    await asyncio.gather(
        *(_grid(admin, world, s, "L3", t) for t, schools in TREE.items() for s in schools)
    )
    await asyncio.gather(*(_grid(admin, world, z, "L4", s) for s, z in ZONES.items()))


async def _people(admin: ApiClient, world: World) -> None:
    agencies = {"A1": ("police", [CATEGORY]), "A2": ("market_regulation", ["food_hygiene"])}
    for name, (kind, categories) in agencies.items():
        body = {"name": f"矩阵{name}-{world.tag}", "kind": kind, "categories": categories}
        agency = await _created(await admin.post("agency_integration", "/v1/agencies", body))
        world.agencies[name] = agency["agency_id"]
    # Every grid has a head; the school head heads S11, the teacher Z11.
    logins = {"S11": "school_head", "Z11": "teacher"}
    places = [p for p in world.grids if p != COUNTY]
    heads = await asyncio.gather(*(_person(admin, world, p, logins.get(p)) for p in places))
    world.heads.update(zip(places, heads, strict=True))
    await _person(admin, world, COUNTY, "county_operator")
    await _person(admin, world, "T1", "agency", agency_id=world.agencies["A1"])
    for place in places:
        head = {"target_kind": "grid", "target_id": world.grids[place]}
        body = {**head, "person_id": world.heads[place]}
        await _created(await admin.post("grid_registry", "/v1/assignments", body))


async def _points(admin: ApiClient, world: World) -> None:
    for zone in ZONES.values():
        body = {
            "grid_id": world.grids[zone],
            "name": f"校门{zone}-{world.tag}",
            "category": CATEGORY,
            "risk_grade": "orange",
            "responsible_person_id": world.heads[zone],
            "check_items": ["通道是否畅通"],
        }
        point = await _created(await admin.post("grid_registry", "/v1/risk-points", body))
        world.points[zone] = point["point_id"]

    async def known(zone: str) -> bool:
        found = await admin.get("hazard_intake", f"/v1/points/{world.points[zone]}")
        return found.status_code == 200

    async def cases_know(place: str) -> bool:
        found = await admin.get("hazard_cases", f"/v1/deadline-policies/{world.grids[place]}")
        return found.status_code == 200

    for zone in ZONES.values():
        await wait_until(lambda zone=zone: known(zone), timeout=30, what=f"intake to know {zone}")
    for place in world.grids:
        await wait_until(lambda p=place: cases_know(p), timeout=30, what=f"cases to know {place}")
    for zone in ZONES.values():
        issued = await admin.post("grid_registry", f"/v1/risk-points/{world.points[zone]}/qr")
        world.tokens[zone] = (await _created(issued))["token"]


async def _login(world: World, http: httpx.AsyncClient, caller: str) -> None:
    client = await ApiClient.login(world.platform, http, world.users[caller], PASSWORD)
    world.headers[caller] = client.headers


async def _hazards(admin: ApiClient, world: World, teacher: ApiClient) -> None:
    async def report(client: ApiClient, zone: str, n: int, photos: list[str]) -> str:
        body = {
            "point_id": world.points[zone],
            "category": CATEGORY,
            "description": f"矩阵{zone}-{n}",
            "photo_ids": photos,
        }
        return str(
            (await _created(await client.post("hazard_intake", "/v1/reports", body)))["report_id"]
        )

    for zone in ZONES.values():
        reporter = teacher if zone == "Z11" else admin
        world.photos[zone] = await _photo(reporter)
        world.hazards[zone] = (
            await report(reporter, zone, 1, [world.photos[zone]]),
            await report(reporter, zone, 2, []),
        )

    async def assigned(hazard_id: str) -> bool:
        found = await admin.get("hazard_cases", f"/v1/hazards/{hazard_id}")
        return found.status_code == 200 and found.json()["status"] == "assigned"

    async def referred(hazard_id: str) -> bool:
        found = await admin.get("agency_integration", f"/v1/hazards/{hazard_id}/dispositions")
        return found.status_code == 200

    for pair in world.hazards.values():
        for hazard_id in pair:
            await wait_until(lambda h=hazard_id: assigned(h), timeout=60, what="assigned")
            await wait_until(lambda h=hazard_id: referred(h), timeout=60, what="referred")

    # Media storage heard of each photo's hazard, and of its referral to the liaison's agency.
    async def shown(caller: str, media_id: str) -> bool:
        url = world.platform.url("media_storage") + f"/v1/media/{media_id}"
        return (await world.http.get(url, headers=world.headers[caller])).status_code == 200

    for zone, media_id in world.photos.items():
        callers = ["county_operator"] + (["agency"] if zone in ("Z11", "Z12") else [])
        for caller in callers:
            await wait_until(
                lambda c=caller, m=media_id: shown(c, m), timeout=60, what=f"{zone}'s photo"
            )


async def _photo(reporter: ApiClient) -> str:
    """Upload and confirm a photo as `reporter`; return its media id."""
    slot, to_s3 = await upload(reporter, jpeg_with_gps((320, 240)))
    assert to_s3.status_code == 204, to_s3.text
    assert (await confirm(reporter, slot["media_id"])).status_code == 200
    return str(slot["media_id"])


async def _uploads(world: World) -> None:
    """Reserve an upload slot as each caller who uploads (nothing is sent to it)."""
    url = world.platform.url("media_storage") + "/v1/uploads"
    body = {"content_type": "image/jpeg", "size_bytes": 1000}
    for caller in ("county_operator", "school_head", "teacher"):
        headers = {**world.headers[caller], "Idempotency-Key": uuid.uuid4().hex}
        slot = await _created(await world.http.post(url, json=body, headers=headers))
        world.uploads[caller] = slot["media_id"]


async def _open311(admin: ApiClient, world: World, http: httpx.AsyncClient) -> None:
    body = {"name": f"矩阵热线{world.tag}", "jurisdiction_id": world.grids["T1"]}
    client = await _created(await admin.post("hazard_intake", "/v1/open311/clients", body))
    world.api_key = client["api_key"]
    form = {
        "api_key": world.api_key,
        "service_code": CATEGORY,
        "description": "矩阵：Open311 请求",
        "attribute[point_id]": world.points["Z11"],
    }
    base = world.platform.url("hazard_intake")
    filed = await http.post(f"{base}/open311/v2/requests.json", data=form)
    assert filed.status_code == 201, filed.text
    world.open311_request = filed.json()[0]["service_request_id"]

    async def readable() -> bool:
        url = f"{base}/open311/v2/requests/{world.open311_request}.json"
        return (await http.get(url)).status_code == 200

    await wait_until(readable, timeout=30, what="the Open311 request to be listed")


async def _parked(admin: ApiClient, world: World) -> None:
    """Park a malformed message about a hazard of Z11 and of Z21 (as a buggy producer would)."""
    platform = world.platform
    connection = await aio_pika.connect(platform.infra.amqp_url_for(platform.vhost))
    async with connection:
        channel = await connection.channel()
        for zone in ("Z11", "Z21"):
            event_id = uuid.uuid4().hex
            data = {"hazard_id": world.hazards[zone][0], "grid_path": world.paths[zone]}
            body = {
                "specversion": "1.0",
                "id": event_id,
                "source": "/xiaoan/hazard_cases",
                "type": "cn.xiaoan.hazard_cases.hazard.assigned",
                "time": "2026-11-23T08:00:00Z",
                "data": data,
            }
            await channel.default_exchange.publish(
                aio_pika.Message(json.dumps(body).encode(), message_id=event_id),
                routing_key="notifications.hazard_assigned",
            )

    async def kept(zone: str) -> str | None:
        hazard_id = world.hazards[zone][0]
        found = (await admin.get("hazard_cases", "/v1/parked-messages", hazard_id=hazard_id)).json()
        return found[0]["parked_id"] if found else None

    for zone in ("Z11", "Z21"):
        world.parked[zone] = await wait_until(lambda z=zone: kept(z), timeout=60, what="parked")


async def _notifications(world: World, http: httpx.AsyncClient) -> None:
    url = world.platform.url("notifications") + "/v1/notifications"

    async def teachers() -> str | None:
        items = (await http.get(url, headers=world.headers["teacher"])).json()["items"]
        return items[0]["notification_id"] if items else None

    world.notifications["teacher"] = await wait_until(teachers, timeout=60, what="an inbox item")
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(world.platform.infra.mongo_url)
    try:
        inbox = mongo[world.platform.database("notifications")]["notifications"]

        async def others() -> str | None:
            doc = await inbox.find_one({"recipient_id": world.heads["Z12"]})
            return str(doc["_id"]) if doc else None

        world.notifications["other"] = await wait_until(others, timeout=60, what="Z12's inbox")
    finally:
        await mongo.close()


async def build(platform: Platform, http: httpx.AsyncClient) -> World:
    """Build the county, its logins, hazards, referrals and the rest; return what it holds."""
    world = World(platform, http, uuid.uuid4().hex[:6])
    admin = await ApiClient.login(platform, http, "demo-admin")
    world.admin = admin.headers
    await _tree(admin, world)
    await _people(admin, world)
    await _points(admin, world)
    for caller in ("county_operator", "school_head", "teacher", "agency"):
        await _login(world, http, caller)
    world.headers.update({"open311_client": {}, "public": {}})
    world.scope = {
        "county_operator": world.paths[COUNTY],
        "school_head": world.paths["S11"],
        "teacher": world.paths["Z11"],
        "agency": world.paths["T1"],
        "open311_client": world.paths["T1"],
        "public": "",
    }
    teacher = ApiClient(platform, http, world.headers["teacher"]["Authorization"].split()[1])
    await _hazards(admin, world, teacher)
    await _uploads(world)
    await asyncio.gather(_open311(admin, world, http), _parked(admin, world))
    await _notifications(world, http)
    template = await admin.get("grid_registry", "/v1/excel/templates/people.xlsx")
    world.template = template.content
    policy = await admin.get("hazard_cases", f"/v1/deadline-policies/{world.grids[COUNTY]}")
    world.policy = policy.json()["policy"]
    return world
