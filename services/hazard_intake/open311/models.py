"""What Open311 clients send and get back (GeoReport v2 names), and the client registry's shapes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from shared.events import PersonRef
from shared.fields import Id, SingleLineText, Text

# An http(s) URL without spaces or control characters (it is shown again in XML answers).
MEDIA_URL_PATTERN = r"^https?://[^\x00-\x20\x7F-\x9F\uFFFE\uFFFF]+$"


class Format(StrEnum):
    """Response format, chosen by the resource's suffix as GeoReport v2 does."""

    JSON = "json"
    XML = "xml"


class ServiceRead(BaseModel):
    """One service (a hazard category) in GET /services."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "service_code": "fire",
                    "service_name": "消防安全",
                    "description": "消防安全隐患：消防通道、灭火器、应急照明等 / Fire safety hazards",
                    "metadata": True,
                    "type": "realtime",
                    "keywords": "消防,灭火器,消防通道,fire,extinguisher",
                    "group": "消防与危化品 / Fire and chemicals",
                }
            ]
        }
    )

    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str
    keywords: str
    group: str


class AttributeValue(BaseModel):
    """One allowed value of a list attribute."""

    key: str
    name: str


class AttributeRead(BaseModel):
    """One attribute of a service definition (an extra field a request may carry)."""

    variable: bool
    code: str
    datatype: str
    required: bool
    datatype_description: str
    order: int
    description: str
    values: list[AttributeValue] | None = None


class ServiceDefinitionRead(BaseModel):
    """GET /services/{service_code}: the attributes a request for this service may carry."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "service_code": "fire",
                    "attributes": [
                        {
                            "variable": True,
                            "code": "point_id",
                            "datatype": "string",
                            "required": False,
                            "datatype_description": "风险点二维码标签上的编号 / The code on the QR label",
                            "order": 1,
                            "description": "风险点编号 / Risk point code",
                        }
                    ],
                }
            ]
        }
    )

    service_code: str
    attributes: list[AttributeRead]


class ServiceRequestCreate(BaseModel):
    """POST /requests (form-encoded), after the form's `attribute[code]` fields are gathered.

    Placement: `attribute[point_id]` (a risk point, from its QR label) or `attribute[grid_id]`
    (a grid), never both; neither means the client's own jurisdiction grid. Fields and
    attributes this server does not know are ignored, as Open311 clients add their own.
    """

    model_config = ConfigDict(
        extra="ignore",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "api_key": "0b9c2f…(issued by POST /v1/open311/clients)",
                    "service_code": "fire",
                    "lat": 23.4761,
                    "long": 111.2791,
                    "address_string": "城关镇第一小学教学楼三楼",
                    "description": "三楼东侧消防通道堆放杂物",
                    "attribute[point_id]": "demo-point-fire-exit",
                    "first_name": "明",
                    "last_name": "李",
                    "phone": "13800000000",
                }
            ]
        },
    )

    api_key: SingleLineText = Field(min_length=1, max_length=200)
    jurisdiction_id: Id | None = None
    service_code: SingleLineText = Field(min_length=1, max_length=64)
    lat: float | None = Field(None, ge=-90, le=90)
    long: float | None = Field(None, ge=-180, le=180)
    address_string: SingleLineText | None = Field(None, max_length=500)
    address_id: SingleLineText | None = Field(None, max_length=100)
    email: SingleLineText | None = Field(None, max_length=200)
    device_id: SingleLineText | None = Field(None, max_length=200)
    account_id: SingleLineText | None = Field(None, max_length=200)
    first_name: SingleLineText | None = Field(None, max_length=100)
    last_name: SingleLineText | None = Field(None, max_length=100)
    phone: SingleLineText | None = Field(None, max_length=50)
    description: Text = Field(min_length=2, max_length=1000)
    media_url: str | None = Field(None, max_length=2000, pattern=MEDIA_URL_PATTERN)
    attributes: dict[
        Annotated[str, Field(max_length=100)], Annotated[str, Field(max_length=1000)]
    ] = Field(
        default_factory=dict,
        max_length=50,
        description="From the form's attribute[code] fields",
    )


class ServiceRequestCreated(BaseModel):
    """One entry of the answer to POST /requests."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "service_request_id": "5f0c2d1e8a7b4c3d9e1f2a3b4c5d6e7f",
                    "service_notice": "已受理，将由该处的网格责任人处理 / Accepted; the person responsible for this place will handle it",
                    "account_id": None,
                }
            ]
        }
    )

    service_request_id: str
    service_notice: str
    account_id: str | None = None


class ServiceRequestRead(BaseModel):
    """One request in GET /requests: status and place, never who filed it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "service_request_id": "5f0c2d1e8a7b4c3d9e1f2a3b4c5d6e7f",
                    "status": "open",
                    "status_notes": "已分派 / Assigned",
                    "service_name": "消防安全",
                    "service_code": "fire",
                    "description": "三楼东侧消防通道堆放杂物",
                    "agency_responsible": "城关镇第一小学",
                    "service_notice": None,
                    "requested_datetime": "2026-11-23T08:15:00+08:00",
                    "updated_datetime": "2026-11-23T08:15:01+08:00",
                    "expected_datetime": None,
                    "address": "城关镇第一小学教学楼三楼",
                    "address_id": None,
                    "zipcode": None,
                    "lat": 23.4761,
                    "long": 111.2791,
                    "media_url": None,
                }
            ]
        }
    )

    service_request_id: str
    status: str = Field(description="open or closed")
    status_notes: str | None
    service_name: str
    service_code: str
    description: str
    agency_responsible: str | None
    service_notice: str | None = None
    requested_datetime: datetime
    updated_datetime: datetime
    expected_datetime: datetime | None = None
    address: str | None
    address_id: str | None
    zipcode: str | None = None
    lat: float | None
    long: float | None
    media_url: str | None


class Open311ErrorRead(BaseModel):
    """One entry of a GeoReport v2 error answer ([{code, description}] / <errors><error>)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": 403,
                    "description": "api_key：api_key 无效或已撤销 / api_key: invalid or revoked",
                }
            ]
        }
    )

    code: int
    description: str


class ClientCreate(BaseModel):
    """An Open311 client (a city 311 system, an app) that files into one grid."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [{"name": "城关镇12345市民服务热线", "jurisdiction_id": "demo-township"}]
        },
    )

    name: SingleLineText = Field(
        min_length=2, max_length=100, description="Shown as the reporter of its requests"
    )
    jurisdiction_id: Id = Field(description="The grid it files into (its jurisdiction_id)")


class ClientRead(BaseModel):
    """A registered client (the api_key itself is never stored, only its hash)."""

    client_id: str
    name: str
    jurisdiction_id: str
    jurisdiction_name: str
    created_by: PersonRef
    created_at: datetime
    revoked_at: datetime | None = None


class ClientCreated(ClientRead):
    """The answer to a registration: the api_key, in the first answer only."""

    api_key: str | None = Field(
        None, description="Send as api_key; shown once (a replayed answer carries null)"
    )
    message_zh: str
    message_en: str


def form_schema() -> dict[str, Any]:
    """Return the OpenAPI schema of the POST /requests form (attribute[code] fields spelled out)."""
    schema = ServiceRequestCreate.model_json_schema()
    properties = dict(schema["properties"])
    properties.pop("attributes", None)
    properties["attribute[point_id]"] = {
        "type": "string",
        "maxLength": 64,
        "description": "风险点编号（二维码标签上） / Risk point code (on its QR label)",
    }
    properties["attribute[grid_id]"] = {
        "type": "string",
        "maxLength": 64,
        "description": "网格编号（无风险点时） / Grid id (when no risk point applies)",
    }
    return {**schema, "properties": properties}
