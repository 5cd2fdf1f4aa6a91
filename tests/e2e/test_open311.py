"""Open311 GeoReport v2 on intake, driven like a city 311 system: register, file, follow.

A county operator registers a client (its api_key shown once); the client files requests as
form posts answered in XML or JSON; each becomes a hazard in hazard_cases, and its status
comes back through the public GET without the submitter's personal data.
"""

from __future__ import annotations

import uuid
from typing import Any
from xml.etree import ElementTree as ET

import httpx

from tests.support.client import ApiClient
from tests.support.platform import Platform
from tests.support.waiting import wait_until

CLIENT_NAME = "城关镇12345市民服务热线"
SUBMITTER = {
    "first_name": "明",
    "last_name": "李",
    "phone": "13912345678",
    "email": "li.ming@example.cn",
}


def _v2(platform: Platform, resource: str) -> str:
    return f"{platform.url('hazard_intake')}/open311/v2/{resource}"


async def _register(
    admin: ApiClient, jurisdiction_id: str = "demo-school", name: str = CLIENT_NAME
) -> dict[str, Any]:
    """Register a client, waiting until intake has heard of the grid from the registry."""
    body = {"name": name, "jurisdiction_id": jurisdiction_id}
    key = uuid.uuid4().hex

    async def registered() -> dict[str, Any] | None:
        response = await admin.post("hazard_intake", "/v1/open311/clients", body, key=key)
        return response.json() if response.status_code == 201 else None

    return await wait_until(registered, timeout=60, what="intake to learn the grid")


def _xml_requests(response: httpx.Response) -> list[dict[str, str | None]]:
    root = ET.fromstring(response.content)
    assert root.tag == "service_requests", response.text
    return [{child.tag: child.text for child in request} for request in root.findall("request")]


async def _intake_knows_points(
    platform: Platform, http: httpx.AsyncClient, point_id: str = "demo-point-fire-exit"
) -> None:
    teacher = await ApiClient.login(platform, http, "demo-teacher")

    async def known() -> bool:
        return (await teacher.get("hazard_intake", f"/v1/points/{point_id}")).status_code == 200

    await wait_until(known, timeout=60, what=f"intake to learn {point_id}")


async def _new_point(
    platform: Platform, http: httpx.AsyncClient, admin: ApiClient, name: str, category: str
) -> str:
    """Add a risk point to the teaching building (王芳's zone), known to intake on return.

    A point of its own keeps this test's hazards apart from other tests' reports there.
    """
    point = await admin.post(
        "grid_registry",
        "/v1/risk-points",
        {"grid_id": "demo-zone-teaching", "name": name, "category": category, "risk_grade": "red"},
    )
    assert point.status_code == 201, point.text
    point_id = str(point.json()["point_id"])
    await _intake_knows_points(platform, http, point_id)
    return point_id


async def test_operator_registers_a_client_and_its_key_is_shown_once(
    platform: Platform, http: httpx.AsyncClient
) -> None:
    admin = await ApiClient.login(platform, http, "demo-admin")
    key = uuid.uuid4().hex
    body = {"name": "城关镇网格化服务中心", "jurisdiction_id": "demo-township"}

    async def first_answer() -> httpx.Response | None:
        response = await admin.post("hazard_intake", "/v1/open311/clients", body, key=key)
        return response if response.status_code == 201 else None

    first = await wait_until(first_answer, timeout=60, what="the registration")
    created = first.json()
    assert created["api_key"].startswith(created["client_id"] + ".")
    assert created["jurisdiction_name"] == "城关镇"
    assert created["created_by"]["name"] == "李建国"
    assert first.headers["cache-control"] == "no-store"

    replay = await admin.post("hazard_intake", "/v1/open311/clients", body, key=key)
    assert (replay.status_code, replay.headers["idempotent-replayed"]) == (201, "true")
    assert replay.json()["client_id"] == created["client_id"]
    assert replay.json()["api_key"] is None  # only its hash was kept
    other = await admin.post(
        "hazard_intake", "/v1/open311/clients", {**body, "name": "另一个客户端"}, key=key
    )
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"

    listed = (await admin.get("hazard_intake", "/v1/open311/clients")).json()
    mine = next(c for c in listed if c["client_id"] == created["client_id"])
    assert mine["name"] == "城关镇网格化服务中心"
    assert "api_key" not in mine
    assert "key_hash" not in mine

    teacher = await ApiClient.login(platform, http, "demo-teacher")
    refused = await teacher.post("hazard_intake", "/v1/open311/clients", body)
    assert refused.status_code == 403
    outside = await admin.post(
        "hazard_intake", "/v1/open311/clients", {**body, "jurisdiction_id": "no-such-grid"}
    )
    assert outside.status_code == 422
    assert outside.json()["error"]["details"][0]["field"] == "jurisdiction_id"


async def test_services_and_definitions_in_json_and_xml(
    platform: Platform, http: httpx.AsyncClient
) -> None:
    as_json = await http.get(_v2(platform, "services.json"))
    assert as_json.status_code == 200
    fire = next(s for s in as_json.json() if s["service_code"] == "fire")
    assert fire["service_name"] == "消防安全"
    assert fire["metadata"] is True
    assert fire["type"] == "realtime"
    assert "Fire safety" in fire["description"]

    as_xml = await http.get(_v2(platform, "services.xml"))
    assert as_xml.headers["content-type"] == "text/xml; charset=utf-8"
    assert as_xml.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    names = {
        s.findtext("service_code"): s.findtext("service_name")
        for s in ET.fromstring(as_xml.content)
    }
    assert names["food_hygiene"] == "食品卫生"
    assert len(names) == len(as_json.json()) == 13

    definition = await http.get(_v2(platform, "services/fire.xml"))
    root = ET.fromstring(definition.content)
    assert root.tag == "service_definition"
    assert [a.findtext("code") for a in root.iter("attribute")] == ["point_id", "grid_id"]

    unknown = await http.get(_v2(platform, "services/lava.json"))
    assert unknown.status_code == 404
    assert unknown.json()[0]["code"] == 404
    assert unknown.json()[0]["description"].startswith("service_code：")

    spec = (await http.get(f"{platform.url('hazard_intake')}/openapi.json")).json()
    post = spec["paths"]["/open311/v2/requests.{format}"]["post"]
    form = post["requestBody"]["content"]["application/x-www-form-urlencoded"]
    assert form["example"]["attribute[point_id]"] == "demo-point-fire-exit"
    assert (
        "<service_requests>"
        in post["responses"]["201"]["content"]["text/xml; charset=utf-8"]["example"]
    )


async def test_requests_filed_as_xml_and_json_become_hazards_and_read_back(
    platform: Platform, http: httpx.AsyncClient
) -> None:
    admin = await ApiClient.login(platform, http, "demo-admin")
    point_id = await _new_point(platform, http, admin, "教学楼四楼西侧消防通道", "fire")
    api_key = (await _register(admin))["api_key"]

    # XML answer; placed on the risk point named by its QR code.
    at_point = {
        "api_key": api_key,
        "jurisdiction_id": "demo-school",
        "service_code": "fire",
        "lat": "23.4761",
        "long": "111.2791",
        "address_string": "教学楼三楼东侧",
        "description": "三楼东侧消防通道堆放课桌椅，灭火器压力不足",
        "attribute[point_id]": point_id,
        **SUBMITTER,
    }
    filed_xml = await http.post(_v2(platform, "requests.xml"), data=at_point)
    assert filed_xml.status_code == 201, filed_xml.text
    (created,) = _xml_requests(filed_xml)
    xml_id = created["service_request_id"]
    assert xml_id
    assert "已受理" in (created["service_notice"] or "")

    # JSON answer; no place named: the client's jurisdiction grid (the school).
    in_grid = {
        "api_key": api_key,
        "service_code": "campus_security",
        "description": "校门口东侧围墙有缺口",
        **SUBMITTER,
    }
    filed_json = await http.post(_v2(platform, "requests.json"), data=in_grid)
    assert filed_json.status_code == 201, filed_json.text
    json_id = filed_json.json()[0]["service_request_id"]
    assert json_id != xml_id

    # Each is a hazard in hazard_cases, reported by the client, assigned by the registry.
    async def assigned(hazard_id: str) -> dict[str, Any] | None:
        response = await admin.get("hazard_cases", f"/v1/hazards/{hazard_id}")
        body = response.json() if response.status_code == 200 else {}
        return body if body.get("status") == "assigned" else None

    fire = await wait_until(lambda: assigned(xml_id), timeout=60, what="the XML request's hazard")
    assert fire["point_id"] == point_id
    assert fire["description"] == at_point["description"]
    assert fire["reporter"]["name"] == CLIENT_NAME
    assert fire["assignee"]["name"] == "王芳"  # head of the teaching building
    gate = await wait_until(lambda: assigned(json_id), timeout=60, what="the JSON request's hazard")
    assert gate["grid_id"] == "demo-school"
    assert gate["category"] == "campus_security"

    # Read back in both formats: open, its description and code, the hazard's status as notes.
    async def read_json(request_id: str) -> dict[str, Any] | None:
        response = await http.get(_v2(platform, f"requests/{request_id}.json"))
        assert response.status_code == 200, response.text
        (request,) = response.json()
        return request if request["status_notes"] == "已分派 / Assigned" else None

    shown = await wait_until(lambda: read_json(xml_id), timeout=60, what="the status update")
    assert shown["status"] == "open"
    assert shown["service_code"] == "fire"
    assert shown["service_name"] == "消防安全"
    assert shown["description"] == at_point["description"]
    assert shown["agency_responsible"] == "城关镇第一小学"
    assert (shown["lat"], shown["long"]) == (23.4761, 111.2791)
    assert shown["address"] == "教学楼三楼东侧"
    assert shown["requested_datetime"].endswith("+08:00")

    as_xml = await http.get(_v2(platform, f"requests/{json_id}.xml"))
    (request,) = _xml_requests(as_xml)
    assert request["status"] == "open"
    assert request["service_code"] == "campus_security"
    assert request["description"] == "校门口东侧围墙有缺口"

    # Lists: by ids, by filters; never the submitter's personal data.
    both = await http.get(
        _v2(platform, "requests.json"), params={"service_request_id": f"{xml_id},{json_id}"}
    )
    assert {r["service_request_id"] for r in both.json()} == {xml_id, json_id}
    for text in (both.text, as_xml.text):
        for value in SUBMITTER.values():
            assert value not in text
    open_fire = await http.get(
        _v2(platform, "requests.xml"), params={"service_code": "fire", "status": "open"}
    )
    assert xml_id in {r["service_request_id"] for r in _xml_requests(open_fire)}
    closed = await http.get(_v2(platform, "requests.json"), params={"status": "closed"})
    assert xml_id not in {r["service_request_id"] for r in closed.json()}
    canteen = await http.get(
        _v2(platform, "requests.json"), params={"jurisdiction_id": "demo-zone-canteen"}
    )
    assert canteen.status_code == 200
    assert xml_id not in {r["service_request_id"] for r in canteen.json()}
    teaching = await http.get(
        _v2(platform, "requests.json"), params={"jurisdiction_id": "demo-zone-teaching"}
    )
    assert xml_id in {r["service_request_id"] for r in teaching.json()}


async def test_a_retried_request_with_an_idempotency_key_is_filed_once(
    platform: Platform, http: httpx.AsyncClient
) -> None:
    admin = await ApiClient.login(platform, http, "demo-admin")
    point_id = await _new_point(platform, http, admin, "教学楼一楼配电间", "facilities")
    api_key = (await _register(admin))["api_key"]
    form = {
        "api_key": api_key,
        "service_code": "facilities",
        "description": "配电间门锁损坏，学生可进入",
        "attribute[point_id]": point_id,
    }
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = await http.post(_v2(platform, "requests.json"), data=form, headers=key)
    again = await http.post(_v2(platform, "requests.xml"), data=form, headers=key)
    assert first.status_code == again.status_code == 201
    request_id = first.json()[0]["service_request_id"]
    assert _xml_requests(again)[0]["service_request_id"] == request_id

    other = await http.post(
        _v2(platform, "requests.json"), data={**form, "description": "另一件事"}, headers=key
    )
    assert other.status_code == 422
    assert other.json()[0]["description"].startswith("Idempotency-Key：")

    without_key = await http.post(_v2(platform, "requests.json"), data=form)
    assert without_key.json()[0]["service_request_id"] != request_id


async def test_errors_come_in_the_spec_format_naming_the_field(
    platform: Platform, http: httpx.AsyncClient
) -> None:
    admin = await ApiClient.login(platform, http, "demo-admin")
    await _intake_knows_points(platform, http)
    client = await _register(admin, jurisdiction_id="demo-zone-teaching", name="教学楼报修小程序")
    good = {
        "api_key": client["api_key"],
        "service_code": "fire",
        "description": "走廊灭火器缺失",
        "attribute[point_id]": "demo-point-fire-exit",
    }

    wrong_key = await http.post(
        _v2(platform, "requests.json"), data={**good, "api_key": client["client_id"] + ".guess"}
    )
    assert wrong_key.status_code == 403
    assert wrong_key.json() == [
        {
            "code": 403,
            "description": "api_key：api_key 缺失、无效或已撤销 / "
            "api_key: api_key is missing, invalid or revoked",
        }
    ]
    no_key = await http.post(_v2(platform, "requests.xml"), data={**good, "api_key": ""})
    assert no_key.status_code == 403
    error = ET.fromstring(no_key.content).find("error")
    assert error is not None
    assert error.findtext("code") == "403"

    async def refused(form: dict[str, str], status: int = 400) -> str:
        response = await http.post(_v2(platform, "requests.json"), data=form)
        assert response.status_code == status, response.text
        return str(response.json()[0]["description"])

    assert (await refused({**good, "service_code": "lava"})).startswith(
        "service_code：服务代码不存在"
    )
    unknown_point = await refused({**good, "attribute[point_id]": "no-such-point"})
    assert unknown_point.startswith("attribute[point_id]：风险点不存在")
    assert "attribute[point_id]: Risk point not found" in unknown_point
    # The canteen's point lies outside this client's jurisdiction (the teaching building).
    assert (await refused({**good, "attribute[point_id]": "demo-point-kitchen"})).startswith(
        "attribute[point_id]："
    )
    assert (await refused({**good, "jurisdiction_id": "demo-county"})).startswith(
        "jurisdiction_id："
    )
    assert (await refused({**good, "description": ""})).startswith("description：缺少必填字段")
    assert (await refused({**good, "lat": "23.5"})).startswith("long：")

    assert (await http.post(_v2(platform, "requests.json"), data=good)).status_code == 201
    revoked = await http.delete(
        f"{platform.url('hazard_intake')}/v1/open311/clients/{client['client_id']}",
        headers=admin.headers,
    )
    assert revoked.status_code == 204
    assert (await refused(good, status=403)).startswith("api_key：")
