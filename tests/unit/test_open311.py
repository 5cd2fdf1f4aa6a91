"""Open311 GeoReport v2 door: XML and JSON bodies, status mapping, form checks, error format."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from services.hazard_intake.open311 import catalogue
from services.hazard_intake.open311.errors import Open311Error, Open311Route
from services.hazard_intake.open311.models import Format
from services.hazard_intake.open311.render import respond, to_wire, xml_bytes
from services.hazard_intake.open311.service import WITHHELD, parse_form, to_read
from services.hazard_intake.open311.status import (
    STATUS_EVENTS,
    open311_status,
    status_change,
)
from shared.errors import field_error, install_error_handlers
from shared.events import (
    HazardAssigned,
    HazardEscalated,
    HazardOpened,
    HazardTransitioned,
    PersonRef,
)
from shared.vocabulary import HazardCategory, HazardStatus

# --- XML rendering ------------------------------------------------------------------------


def test_services_render_as_georeport_xml_with_chinese_intact() -> None:
    body = xml_bytes("services", to_wire(catalogue.services()))

    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<services>')
    assert "消防安全".encode() in body  # UTF-8 bytes, not &#...; escapes
    root = ET.fromstring(body)
    services = root.findall("service")
    assert len(services) == len(HazardCategory)
    fire = next(s for s in services if s.findtext("service_code") == "fire")
    assert fire.findtext("service_name") == "消防安全"
    assert fire.findtext("metadata") == "true"
    assert fire.findtext("type") == "realtime"
    assert "Fire safety" in (fire.findtext("description") or "")
    assert [child.tag for child in fire] == [
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    ]


def test_service_definition_nests_attributes_and_values() -> None:
    definition = to_wire(catalogue.definition(HazardCategory.FIRE), exclude_none=True)
    definition["attributes"][0]["values"] = [{"key": "a", "name": "甲"}]
    root = ET.fromstring(xml_bytes("service_definition", definition))

    assert root.tag == "service_definition"
    attributes = root.find("attributes")
    assert attributes is not None
    codes = [a.findtext("code") for a in attributes.findall("attribute")]
    assert codes == ["point_id", "grid_id"]
    first = attributes.findall("attribute")[0]
    assert first.findtext("required") == "false"
    assert first.findtext("values/value/name") == "甲"
    # No empty <values/> on attributes without a list of values.
    assert attributes.findall("attribute")[1].find("values") is None


def test_none_becomes_an_empty_element_times_carry_the_china_offset_and_text_is_escaped() -> None:
    row = {
        "service_request_id": "r1",
        "description": "门口 <危险> & 积水\x0b",
        "address": None,
        "requested_datetime": datetime(2026, 11, 23, 0, 15, tzinfo=UTC),
    }
    body = xml_bytes("service_requests", to_wire([row]))
    request = ET.fromstring(body).find("request")

    assert request is not None
    assert request.findtext("description") == "门口 <危险> & 积水"
    address = request.find("address")
    assert address is not None
    assert address.text is None
    assert request.findtext("requested_datetime") == "2026-11-23T08:15:00+08:00"


def test_json_answer_keeps_chinese_unescaped() -> None:
    response = respond(Format.JSON, "services", catalogue.services()[:1])

    assert "设施设备".encode() in bytes(response.body)
    assert json.loads(bytes(response.body))[0]["service_code"] == "facilities"


# --- status mapping -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        (HazardStatus.REPORTED, "open"),
        (HazardStatus.ASSIGNED, "open"),
        (HazardStatus.RECTIFYING, "open"),
        (HazardStatus.RECTIFIED, "open"),
        (HazardStatus.CLOSED, "closed"),
        (HazardStatus.REJECTED, "closed"),
        (HazardStatus.MERGED, "closed"),
    ],
)
def test_every_hazard_status_maps_to_open_or_closed(status: HazardStatus, shown: str) -> None:
    assert open311_status(status).status == shown


def test_status_notes_are_bilingual() -> None:
    assert open311_status(HazardStatus.ASSIGNED).status_notes == "已分派 / Assigned"
    assert open311_status(HazardStatus.CLOSED).status_notes == "已销号 / Verified and closed"


def _opened(version: int = 1) -> HazardOpened:
    return HazardOpened(
        hazard_id="h1",
        report_id="h1",
        point_id=None,
        point_name=None,
        grid_id="g",
        grid_path="/c/g/",
        school_name="城关镇第一小学",
        category=HazardCategory.FIRE,
        risk_grade=None,
        description="消防通道堆放杂物",
        reporter=PersonRef(person_id="open311:x", name="12345热线"),
        status=HazardStatus.REPORTED,
        reported_at=datetime(2026, 11, 23, tzinfo=UTC),
        version=version,
    )


def test_status_change_of_each_followed_event() -> None:
    assert set(STATUS_EVENTS) == {
        HazardOpened,
        HazardAssigned,
        HazardTransitioned,
        HazardEscalated,
    }
    opened = status_change(_opened())
    assert (opened.hazard_id, opened.version, opened.shown.status) == ("h1", 1, "open")
    assert opened.agency_responsible == "城关镇第一小学"

    assigned = status_change(
        HazardAssigned(
            hazard_id="h1",
            grid_path="/c/g/",
            category=HazardCategory.FIRE,
            description="消防通道堆放杂物",
            point_name=None,
            assignee=PersonRef(person_id="p", name="王芳"),
            assigned_by="system",
            status=HazardStatus.ASSIGNED,
            version=2,
        )
    )
    assert assigned.version == 2
    assert assigned.shown.status_notes == "已分派 / Assigned"
    assert assigned.agency_responsible is None  # never the assignee's name

    verified = status_change(
        HazardTransitioned(
            hazard_id="h1",
            grid_path="/c/g/",
            category=HazardCategory.FIRE,
            risk_grade=None,
            description="消防通道堆放杂物",
            point_name=None,
            school_name=None,
            action="verify",
            from_status=HazardStatus.RECTIFIED,
            status=HazardStatus.CLOSED,
            actor=PersonRef(person_id="h", name="张伟"),
            assignee=PersonRef(person_id="p", name="王芳"),
            reporter=PersonRef(person_id="open311:x", name="12345热线"),
            rectify_by=None,
            version=7,
        )
    )
    assert (verified.shown.status, verified.version) == ("closed", 7)


# --- the form and what GET shows ----------------------------------------------------------


def test_form_gathers_known_attributes_and_ignores_empty_and_unknown_fields() -> None:
    form = parse_form(
        {
            "api_key": "k.s",
            "service_code": "fire",
            "description": "消防通道堆放杂物",
            "lat": "23.5",
            "long": "",
            "attribute[point_id]": " demo-point-fire-exit ",
            "attribute[fixmystreet_id]": "42",
            "title": "extra field of some client",
        }
    )
    assert form.attributes == {"point_id": "demo-point-fire-exit"}
    assert form.lat == 23.5
    assert form.long is None


def test_form_errors_name_each_field_in_both_languages() -> None:
    with pytest.raises(Open311Error) as caught:
        parse_form({"api_key": "k.s", "lat": "north", "media_url": "javascript:alert(1)"})

    error = caught.value
    assert error.status_code == 400
    text = "\n".join(error.descriptions)
    assert "service_code：缺少必填字段 / service_code: Field required" in text
    assert "description：缺少必填字段" in text
    assert "lat：应为数字" in text
    assert "media_url：" in text


def test_public_view_withholds_the_text_of_reports_about_children() -> None:
    doc = {
        "_id": "r1",
        "service_code": "bullying",
        "description": "三年级某同学被高年级学生堵在厕所",
        "status": "open",
        "status_notes": "已上报 / Reported",
        "requested_at": datetime(2026, 11, 23, tzinfo=UTC),
        "updated_at": datetime(2026, 11, 23, tzinfo=UTC),
        "lat": 23.5,
        "long": 111.3,
        "address_string": "城关镇第一小学",
        "contact": {"phone": "13800000000"},
    }
    shown = to_read(doc)
    assert shown.description == WITHHELD
    assert shown.lat is None
    assert shown.address is None
    assert shown.service_name == "校园欺凌"
    assert "13800000000" not in shown.model_dump_json()

    fire = to_read({**doc, "service_code": "fire"})
    assert fire.description == doc["description"]
    assert fire.lat == 23.5


# --- errors in GeoReport v2's format ------------------------------------------------------


def _app() -> httpx.AsyncClient:
    app = FastAPI()
    install_error_handlers(app)
    router = APIRouter(route_class=Open311Route)

    @router.get("/things/{code}.{format}")
    async def thing(code: str, format: Format, limit: int = 1) -> dict[str, str]:
        if code == "missing":
            raise Open311Error(404, "service_code", "服务代码不存在", "Unknown service code")
        if code == "shared":
            raise field_error("point_id", "not_found", "风险点不存在", "Risk point not found")
        return {"code": code}

    app.include_router(router)
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def test_errors_answer_in_the_suffixs_format() -> None:
    async with _app() as client:
        as_json = await client.get("/things/missing.json")
        as_xml = await client.get("/things/missing.xml")
        shared = await client.get("/things/shared.json")
        invalid = await client.get("/things/x.json", params={"limit": "many"})

    assert as_json.status_code == 404
    assert as_json.json() == [
        {
            "code": 404,
            "description": "service_code：服务代码不存在 / service_code: Unknown service code",
        }
    ]
    assert as_xml.status_code == 404
    assert as_xml.headers["content-type"].startswith("text/xml")
    error = ET.fromstring(as_xml.content).find("error")
    assert error is not None
    assert error.findtext("code") == "404"
    assert "服务代码不存在" in (error.findtext("description") or "")
    # A shared 422 about a field becomes the spec's 400, naming it.
    assert shared.status_code == 400
    assert shared.json()[0]["description"].startswith("point_id：风险点不存在")
    assert invalid.status_code == 400
    assert invalid.json()[0]["description"].startswith("limit：应为整数")
