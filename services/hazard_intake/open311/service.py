"""Filing Open311 requests as intake reports, and reading them back without personal data.

A request is checked like a report (the same place resolution; with an Idempotency-Key, the
same store of first answers), stored in the read model, published as ReportSubmitted and shown once the broker
confirmed. Its id is the report's id, which is also the hazard's id in hazard_cases.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_intake.open311 import catalogue, clients, repository
from services.hazard_intake.open311.errors import Open311Error, invalid_form
from services.hazard_intake.open311.models import (
    ServiceRequestCreate,
    ServiceRequestCreated,
    ServiceRequestRead,
)
from services.hazard_intake.open311.render import DISPLAY_ZONE
from services.hazard_intake.open311.status import CLOSED, OPEN, open311_status
from services.hazard_intake.places.cache import Place, PlaceCache
from services.hazard_intake.reports.models import ReportCreate
from services.hazard_intake.reports.service import (
    build_event,
    report_id_for,
    resolve_place,
)
from shared.auth import Principal
from shared.clock import utc_now
from shared.errors import ApiError
from shared.events import GeoPoint
from shared.idempotency import IdempotencyStore, fingerprint
from shared.ids import new_id
from shared.messaging import Broker, PublishFailed
from shared.vocabulary import HazardStatus

Document = dict[str, Any]

# One key space for both formats: a retry may ask for the other format and still match.
FINGERPRINT_PATH = "/open311/v2/requests"
MAX_REQUESTS = 1000  # per GET, as the spec suggests
DEFAULT_WINDOW = timedelta(days=90)  # GET without dates: the last 90 days, as the spec says
NOTICE = (
    "已受理，将由该处的网格责任人处理 / "
    "Accepted; the person responsible for this place will handle it"
)
WITHHELD = "（涉及学生隐私，内容不公开） / (Not shown: it concerns students' privacy)"
_ATTRIBUTE = re.compile(r"attribute\[([^\]]+)\](?:\[\])?")


def parse_form(form: Mapping[str, Any]) -> ServiceRequestCreate:
    """Check a POST form, gathering its `attribute[code]` fields (400 naming each bad field)."""
    fields: dict[str, Any] = {}
    attributes: dict[str, str] = {}
    for name, value in form.items():
        if not isinstance(value, str):
            raise Open311Error(400, name, "应为文本", "Must be text")
        if not value.strip():
            continue  # clients send empty optional fields
        match = _ATTRIBUTE.fullmatch(name)
        if match is None:
            fields[name] = value
        elif match.group(1) in catalogue.ATTRIBUTE_CODES:
            attributes[match.group(1)] = value.strip()
    try:
        return ServiceRequestCreate.model_validate({**fields, "attributes": attributes})
    except ValidationError as exc:
        raise invalid_form(exc) from exc


def _location(form: ServiceRequestCreate) -> GeoPoint | None:
    if form.lat is None and form.long is None:
        return None
    if form.lat is None or form.long is None:
        missing = "lat" if form.lat is None else "long"
        raise Open311Error(
            400, missing, "经度与纬度须同时填写", "lat and long must be given together"
        )
    return GeoPoint(lat=form.lat, lon=form.long)


def _report(form: ServiceRequestCreate, client: Document) -> tuple[ReportCreate, dict[str, str]]:
    """Return the report a request makes, and which request field named each report field."""
    category = catalogue.category_of(form.service_code)
    if category is None:
        raise Open311Error(
            400,
            "service_code",
            "服务代码不存在（见 GET /open311/v2/services）",
            "Unknown service code (see GET /open311/v2/services)",
        )
    point_id = form.attributes.get(catalogue.POINT_ATTRIBUTE)
    grid_id = form.attributes.get(catalogue.GRID_ATTRIBUTE)
    if point_id and grid_id:
        raise Open311Error(
            400,
            "attribute[grid_id]",
            "风险点与网格只能填写一个",
            "Give a risk point or a grid, not both",
        )
    names = {
        "point_id": "attribute[point_id]",
        "grid_id": "attribute[grid_id]" if grid_id else "jurisdiction_id",
        "description": "description",
        "location": "lat",
    }
    try:
        report = ReportCreate(
            point_id=point_id,
            grid_id=None if point_id else grid_id or client["jurisdiction_id"],
            category=category,
            description=form.description,
            location=_location(form),
        )
    except ValidationError as exc:
        raise invalid_form(exc, names) from exc
    return report, names


async def _place(
    places: PlaceCache, principal: Principal, report: ReportCreate, names: dict[str, str]
) -> Place:
    try:
        return await resolve_place(places, principal, report)
    except ApiError as exc:
        detail = exc.body.details[0] if exc.body.details else None
        if detail is None:
            raise
        field = names.get(detail.field, detail.field)
        raise Open311Error(
            400,
            field,
            f"{detail.message_zh}（或不在本客户端的辖区内）",
            f"{detail.message_en} (or outside your jurisdiction)",
        ) from exc


async def file_request(
    *,
    db: AsyncDatabase[Document],
    places: PlaceCache,
    keys: IdempotencyStore,
    broker: Broker,
    client: Document,
    form: ServiceRequestCreate,
    idempotency_key: str | None,
) -> tuple[int, Any]:
    """File a request as a report; answer (201, the created request) once the broker confirmed
    it (503 otherwise). With an Idempotency-Key it is filed once: a retry gets the first
    answer (Replayed), another body under the key is 422."""
    if form.jurisdiction_id is not None and form.jurisdiction_id != client["jurisdiction_id"]:
        raise Open311Error(
            400,
            "jurisdiction_id",
            f"与 api_key 所属辖区（{client['jurisdiction_id']}）不一致",
            f"Does not match the api_key's jurisdiction ({client['jurisdiction_id']})",
        )
    report, names = _report(form, client)
    principal = clients.reporter(client)
    place = await _place(places, principal, report, names)
    report_id = report_id_for(principal, idempotency_key or new_id())
    if idempotency_key is None:
        return await _file(db, broker, client, form, report, principal, place, report_id, None)
    body_fingerprint = fingerprint("POST", FINGERPRINT_PATH, form.model_dump(exclude={"api_key"}))
    return await keys.once(
        owner=principal.user_id,
        key=idempotency_key,
        request_fingerprint=body_fingerprint,
        write=lambda: _file(
            db, broker, client, form, report, principal, place, report_id, body_fingerprint
        ),
    )


async def _file(
    db: AsyncDatabase[Document],
    broker: Broker,
    client: Document,
    form: ServiceRequestCreate,
    report: ReportCreate,
    principal: Principal,
    place: Place,
    report_id: str,
    body_fingerprint: str | None,
) -> tuple[int, Any]:
    """Store the request in the read model, publish its report, and mark it published."""
    now = utc_now()
    shown = open311_status(HazardStatus.REPORTED)
    await repository.insert_request(
        db,
        {
            "_id": report_id,
            "client_id": client["_id"],
            "jurisdiction_id": client["jurisdiction_id"],
            "grid_id": place.grid_id,
            "grid_path": place.grid_path,
            "point_id": place.point_id,
            "service_code": report.category.value,
            "description": report.description,
            "lat": form.lat,
            "long": form.long,
            "address_string": form.address_string,
            "address_id": form.address_id,
            "media_url": form.media_url,
            "agency_responsible": client["jurisdiction_name"],
            "status": shown.status,
            "status_notes": shown.status_notes,
            "hazard_status": None,
            "hazard_version": 0,
            "requested_at": now,
            "updated_at": now,
            "published": False,
            # Kept for the county's follow-up; never served by GET (repository.PUBLIC).
            "contact": {
                key: getattr(form, key)
                for key in ("first_name", "last_name", "phone", "email", "device_id", "account_id")
            },
        },
    )
    try:
        await broker.publish(build_event(principal, report_id, report, place, body_fingerprint))
    except PublishFailed as exc:
        raise Open311Error(
            503,
            "",
            "暂时无法保存，请稍后重试（如带 Idempotency-Key，请使用同一个键）",
            "Not stored yet; retry shortly (with the same Idempotency-Key if you sent one)",
            headers={"Retry-After": "2"},
        ) from exc
    await repository.mark_published(db, report_id)
    return 201, ServiceRequestCreated(service_request_id=report_id, service_notice=NOTICE)


def to_read(doc: Document) -> ServiceRequestRead:
    """Shape a stored request for the public: status and place, never who filed it."""
    category = catalogue.category_of(doc["service_code"])
    private = category in catalogue.PRIVATE_CATEGORIES
    return ServiceRequestRead(
        service_request_id=doc["_id"],
        status=doc["status"],
        status_notes=doc.get("status_notes"),
        service_name=catalogue.service_name(category) if category else doc["service_code"],
        service_code=doc["service_code"],
        description=WITHHELD if private else doc["description"],
        agency_responsible=doc.get("agency_responsible"),
        requested_datetime=doc["requested_at"],
        updated_datetime=doc["updated_at"],
        address=None if private else doc.get("address_string"),
        address_id=None if private else doc.get("address_id"),
        lat=None if private else doc.get("lat"),
        long=None if private else doc.get("long"),
        media_url=None if private else doc.get("media_url"),
    )


def _listed(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=DISPLAY_ZONE)


async def _jurisdiction_path(places: PlaceCache, jurisdiction_id: str) -> str:
    grid = await places.grid(jurisdiction_id)
    if grid is None:
        raise Open311Error(404, "jurisdiction_id", "辖区不存在", "Jurisdiction not found")
    return grid.grid_path


async def find(
    *,
    db: AsyncDatabase[Document],
    places: PlaceCache,
    service_request_id: str | None = None,
    service_code: str | None = None,
    start_date: datetime | None = None,
    end_date: datetime | None = None,
    status: str | None = None,
    jurisdiction_id: str | None = None,
) -> list[ServiceRequestRead]:
    """Return requests filed through Open311, newest first (ids, if given, override the rest)."""
    query: Document = {}
    ids = _listed(service_request_id)
    if ids:
        query["_id"] = {"$in": ids[:MAX_REQUESTS]}
    else:
        if jurisdiction_id:
            path = await _jurisdiction_path(places, jurisdiction_id)
            query["grid_path"] = {"$regex": "^" + re.escape(path)}
        codes = _listed(service_code)
        if any(catalogue.category_of(code) is None for code in codes):
            raise Open311Error(400, "service_code", "服务代码不存在", "Unknown service code")
        if codes:
            query["service_code"] = {"$in": codes}
        statuses = _listed(status)
        if any(value not in (OPEN, CLOSED) for value in statuses):
            raise Open311Error(400, "status", "只能是 open 或 closed", "Must be open or closed")
        if statuses:
            query["status"] = {"$in": statuses}
        end = _aware(end_date) if end_date else utc_now()
        start = _aware(start_date) if start_date else end - DEFAULT_WINDOW
        if start > end:
            raise Open311Error(
                400, "start_date", "不能晚于 end_date", "Must not be later than end_date"
            )
        query["requested_at"] = {"$gte": start, "$lte": end}
    docs = await repository.find_requests(db, query, limit=MAX_REQUESTS)
    return [to_read(doc) for doc in docs]


async def get(
    *, db: AsyncDatabase[Document], places: PlaceCache, service_request_id: str
) -> ServiceRequestRead:
    """Return one request filed through Open311 (404 naming the id otherwise)."""
    found = (
        []
        if "," in service_request_id
        else await find(db=db, places=places, service_request_id=service_request_id)
    )
    if not found:
        raise Open311Error(404, "service_request_id", "服务请求不存在", "Service request not found")
    return found[0]
