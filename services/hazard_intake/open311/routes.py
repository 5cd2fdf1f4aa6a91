"""GeoReport v2 at /open311/v2: services, service definitions, requests (JSON or XML by suffix)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from services.hazard_intake.access import Open311Client, admit
from services.hazard_intake.open311 import catalogue, service
from services.hazard_intake.open311.dependencies import Places
from services.hazard_intake.open311.errors import Open311Error, Open311Route
from services.hazard_intake.open311.models import (
    Format,
    Open311ErrorRead,
    ServiceDefinitionRead,
    ServiceRead,
    ServiceRequestCreate,
    ServiceRequestCreated,
    ServiceRequestRead,
    form_schema,
)
from services.hazard_intake.open311.render import XML_MEDIA_TYPE, respond, to_wire, xml_bytes
from services.hazard_intake.throttles import Throttles
from shared.dependencies import Db, RuntimeDep
from shared.fields import Id, MomentOrLocal, SingleLineText
from shared.idempotency import IdempotencyKeyHeader, Replayed, require_key

router = APIRouter(prefix="/open311/v2", tags=["open311"], route_class=Open311Route)

# A comma-separated list of request ids (or codes): as many as one answer holds.
LIST_MAX_LENGTH = service.MAX_REQUESTS * 65

FormatPath = Annotated[
    Format, Path(description="Answer format, as the resource's suffix: json or xml")
]


def _example(model: type[Any]) -> dict[str, Any]:
    examples: list[dict[str, Any]] = model.model_config["json_schema_extra"]["examples"]
    return examples[0]


def _answers(root: str, example: Any, *, status: int = 200) -> dict[int | str, dict[str, Any]]:
    """Document a success in both formats (the XML example is rendered by the same code)."""
    plain = to_wire(example, exclude_none=root == "service_definition")
    errors = [_example(Open311ErrorRead)]
    error_content = {
        "application/json": {"example": errors},
        XML_MEDIA_TYPE: {"example": xml_bytes("errors", errors).decode()},
    }
    return {
        status: {
            "content": {
                "application/json": {"example": plain},
                XML_MEDIA_TYPE: {"example": xml_bytes(root, plain).decode()},
            }
        },
        400: {
            "model": list[Open311ErrorRead],
            "description": "请求有误（指明字段） / Bad request (names the field)",
            "content": error_content,
        },
        403: {
            "model": list[Open311ErrorRead],
            "description": "api_key 无效 / Invalid api_key",
            "content": error_content,
        },
        404: {
            "model": list[Open311ErrorRead],
            "description": "不存在 / Not found",
            "content": error_content,
        },
    }


@router.get(
    "/services.{format}",
    dependencies=[admit("Open311 services", "read")],
    response_model=list[ServiceRead],
    responses=_answers("services", [_example(ServiceRead)]),
    summary="Services: one per hazard category (GeoReport v2 GET services)",
)
async def list_services(
    format: FormatPath, places: Places, jurisdiction_id: Id | None = None
) -> Response:
    """List what can be reported; public, no api_key needed."""
    if jurisdiction_id and await places.grid(jurisdiction_id) is None:
        raise Open311Error(404, "jurisdiction_id", "辖区不存在", "Jurisdiction not found")
    return respond(format, "services", catalogue.services())


@router.get(
    "/services/{service_code}.{format}",
    dependencies=[admit("Open311 services", "read")],
    response_model=ServiceDefinitionRead,
    responses=_answers("service_definition", _example(ServiceDefinitionRead)),
    summary="A service's definition: the attributes that place a request",
)
async def get_service_definition(
    service_code: Annotated[SingleLineText, Path(max_length=64)], format: FormatPath
) -> Response:
    """Return the attributes (risk point or grid) a request for this service may carry."""
    category = catalogue.category_of(service_code)
    if category is None:
        raise Open311Error(404, "service_code", "服务代码不存在", "Unknown service code")
    return respond(format, "service_definition", catalogue.definition(category), exclude_none=True)


@router.post(
    "/requests.{format}",
    status_code=201,
    response_model=list[ServiceRequestCreated],
    responses={
        **_answers("service_requests", [_example(ServiceRequestCreated)], status=201),
        422: {"description": "Idempotency-Key 已用于不同内容 / Idempotency-Key reused"},
        503: {"description": "暂未保存，请重试 / Not stored yet: retry"},
    },
    summary="File a request (form-encoded, with api_key); answered once the broker confirmed",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": form_schema(),
                    "example": _example(ServiceRequestCreate),
                }
            },
        }
    },
)
async def create_request(
    request: Request,
    format: FormatPath,
    client: Open311Client,
    db: Db,
    places: Places,
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """File a hazard report for a registered client; retry with the same Idempotency-Key."""
    async with request.form() as form:
        throttles: Throttles = request.app.state.throttles
        await throttles.open311.take(client["_id"])
        service_request = service.parse_form(form)
    key = require_key(idempotency_key) if idempotency_key and idempotency_key.strip() else None
    headers: dict[str, str] = {}
    try:
        status, created = await service.file_request(
            db=db,
            places=places,
            keys=runtime.idempotency,
            broker=runtime.broker,
            client=client,
            form=service_request,
            idempotency_key=key,
        )
    except Replayed as replay:
        status, created = replay.status, replay.body
        headers["Idempotent-Replayed"] = "true"
    answer = respond(format, "service_requests", [created], status_code=status)
    answer.headers.update(headers)
    return answer


@router.get(
    "/requests.{format}",
    dependencies=[admit("Open311 requests", "read")],
    response_model=list[ServiceRequestRead],
    responses=_answers("service_requests", [_example(ServiceRequestRead)]),
    summary="Requests filed through Open311, newest first (public, no personal data)",
)
async def list_requests(
    format: FormatPath,
    db: Db,
    places: Places,
    service_request_id: Annotated[
        SingleLineText | None,
        Query(max_length=LIST_MAX_LENGTH, description="Comma-separated ids; overrides the rest"),
    ] = None,
    service_code: Annotated[
        SingleLineText | None,
        Query(max_length=LIST_MAX_LENGTH, description="Comma-separated codes"),
    ] = None,
    start_date: Annotated[
        MomentOrLocal | None, Query(description="ISO 8601; default end_date − 90 days")
    ] = None,
    end_date: Annotated[MomentOrLocal | None, Query(description="ISO 8601; default now")] = None,
    status: Annotated[
        SingleLineText | None, Query(max_length=20, description="open, closed or open,closed")
    ] = None,
    jurisdiction_id: Annotated[
        Id | None, Query(description="A grid: only requests inside it")
    ] = None,
) -> Response:
    """List at most 1,000 requests matching the filters."""
    found = await service.find(
        db=db,
        places=places,
        service_request_id=service_request_id,
        service_code=service_code,
        start_date=start_date,
        end_date=end_date,
        status=status,
        jurisdiction_id=jurisdiction_id,
    )
    return respond(format, "service_requests", found)


@router.get(
    "/requests/{service_request_id}.{format}",
    dependencies=[admit("Open311 requests", "read")],
    response_model=list[ServiceRequestRead],
    responses=_answers("service_requests", [_example(ServiceRequestRead)]),
    summary="One request's status (a list of one, as the spec answers)",
)
async def get_request(
    service_request_id: Id,
    format: FormatPath,
    db: Db,
    places: Places,
) -> Response:
    """Return the request with this id (404 naming service_request_id otherwise)."""
    found = await service.get(db=db, places=places, service_request_id=service_request_id)
    return respond(format, "service_requests", [found])
