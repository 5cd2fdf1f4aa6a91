"""Every operation of the services' OpenAPI documents, with a valid example request for each
place it can be aimed at: what the authorization matrix is tried on.

An operation aims at a kind of object (a grid, a zone's risk point, hazard or the photo of its
report, an agency, a notification, a parked message, an upload not attached to anything) or at
none. Its request is written once with placeholders
(`{grid}`, `{point}`, `{hazard}` …) that take the ids of the place tried (`matrix_county`). An
object outside the caller's subtree is answered 404, or, when the body names it, 422 (Open311:
400) naming that field.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.e2e.matrix_county import CATEGORY, PASSWORD, World, admin_post

CHINA = ZoneInfo("Asia/Shanghai")
# The places each kind of object is tried at. Whoever the caller is, these hold their own grid,
# one below it, a sibling school and the other township.
PLACES = {
    "grid": ("C", "T1", "S11", "Z11", "S12", "T2", "S21"),
    "zone": ("Z11", "Z12", "Z21"),
    "agency": ("A1", "A2"),
    "notification": ("own", "other"),
    "parked": ("Z11", "Z21"),
    "upload": ("own", "other"),
}
# Callers who upload photos (the others are refused the row): they have an upload of their own.
UPLOADERS = ("county_operator", "school_head", "teacher")
UNSET: Any = object()
WHOLE = re.compile(r"^\{(\w+)\}$")

Prepare = Callable[[World, str], Awaitable[dict[str, str]]]


@dataclass
class Call:
    """One request: its path, query, and body (JSON, form or file)."""

    path: str
    query: dict[str, Any] = field(default_factory=dict)
    json: Any = UNSET
    form: dict[str, str] | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None


@dataclass(frozen=True)
class Op:
    """An operation ('METHOD /path' as OpenAPI names it), what it aims at, its request."""

    service: str
    endpoint: str
    kind: str | None
    path: str
    query: Mapping[str, str] = field(default_factory=dict)
    json: Any = UNSET
    form: Mapping[str, str] | None = None
    upload: bool = False  # sends the Excel template as the file
    outside: tuple[int, str | None] = (404, None)  # the answer out of scope, the field named
    prepare: Prepare | None = None  # makes a fresh object for the case (more placeholders)
    action: str | None = None  # a hazard action: judged by its own row of the matrix
    late: bool = False  # changes what other cases read: tried after them
    serial: bool = False  # its cases on one place must not interleave
    item: bool = False  # a batch: judged by its first item's answer

    @property
    def method(self) -> str:
        """Return the HTTP method."""
        return self.endpoint.split()[0]


class _Values(Mapping[str, Any]):
    """The placeholders' values for one place and caller, computed when asked for."""

    def __init__(self, world: World, place: str, caller: str, extra: dict[str, str]) -> None:
        self.w, self.place, self.caller, self.extra = world, place, caller, extra

    def __getitem__(self, name: str) -> Any:
        if name in self.extra:
            return self.extra[name]
        w, p = self.w, self.place
        now = datetime.now(UTC).replace(microsecond=0)
        values: dict[str, Callable[[], Any]] = {
            "grid": lambda: w.grids[p],
            "person": lambda: w.heads[p],
            "point": lambda: w.points[p],
            "token": lambda: w.tokens[p],
            "hazard": lambda: w.hazards[p][0],
            "duplicate": lambda: w.hazards[p][1],
            "agency": lambda: w.agencies[p],
            "parked": lambda: w.parked[p],
            "notification": lambda: _notification(w, p, self.caller),
            "photo": lambda: w.photos[p],
            "upload": lambda: _upload(w, p, self.caller),
            "teacher": lambda: w.users["teacher"],
            "password": lambda: PASSWORD,
            "request": lambda: w.open311_request,
            "policy": lambda: w.policy,
            "key": lambda: uuid.uuid4().hex,
            "level": lambda: {"C": "L2", "T1": "L3", "T2": "L3"}.get(p, "L4"),
            "month": lambda: datetime.now(CHINA).strftime("%Y-%m"),
            "today": lambda: datetime.now(CHINA).date().isoformat(),
            "now": lambda: now.isoformat(),
            "soon": lambda: (now + timedelta(days=2)).isoformat(),
        }
        return values[name]()

    def __iter__(self) -> Any:
        return iter(())

    def __len__(self) -> int:
        return 0


def _notification(w: World, place: str, caller: str) -> str:
    if place == "own":
        return w.notifications["teacher"]
    return w.notifications["other" if caller == "teacher" else "teacher"]


def _upload(w: World, place: str, caller: str) -> str:
    if place == "own":
        return w.uploads[caller]
    return w.uploads["county_operator" if caller == "teacher" else "teacher"]


def _fill(value: Any, values: _Values) -> Any:
    """Put the place's ids into a request's parts; a lone placeholder keeps its value's type."""
    if isinstance(value, str):
        whole = WHOLE.match(value)
        return values[whole.group(1)] if whole else value.format_map(values)
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, values) for v in value]
    return value


async def request_for(op: Op, world: World, place: str | None, caller: str) -> Call:
    """Return the request of an operation aimed at `place`, as `caller` sends it."""
    extra = await op.prepare(world, place or "") if op.prepare else {}
    values = _Values(world, place or "", caller, extra)
    form = _fill(dict(op.form), values) if op.form is not None else None
    if form is not None and caller == "open311_client":
        form["api_key"] = world.api_key
    return Call(
        _fill(op.path, values),
        query=_fill(dict(op.query), values),
        json=_fill(op.json, values) if op.json is not UNSET else UNSET,
        form=form,
        files={"file": ("people.xlsx", world.template, "application/octet-stream")}
        if op.upload
        else None,
    )


async def _evening_assignment(w: World, place: str) -> dict[str, str]:
    """Make an evening assignment at the place, for the case to end."""
    body = {"target_kind": "grid", "target_id": w.grids[place], "person_id": w.heads[place]}
    made = await admin_post(w, "grid_registry", "/v1/assignments", {**body, "slot": "evening"})
    return {"assignment": made["assignment_id"]}


async def _client(w: World, place: str) -> dict[str, str]:
    """Register an Open311 client filing into the place, for the case to revoke."""
    body = {"name": f"待撤销{uuid.uuid4().hex[:6]}", "jurisdiction_id": w.grids[place]}
    return {
        "client": (await admin_post(w, "hazard_intake", "/v1/open311/clients", body))["client_id"]
    }


async def _new_token(w: World, zone: str) -> dict[str, str]:
    """Give the zone's point a new QR token (revoking the old one), for the case to revoke."""
    path = f"/v1/risk-points/{w.points[zone]}/qr"
    return {"token": (await admin_post(w, "grid_registry", path, replace="true"))["token"]}


# The tables below hold one operation a line.
# fmt: off
GRID_ARGS = {"grid_id": "{grid}"}
REPORT = {"point_id": "{point}", "category": "other", "description": "矩阵：隐患上报"}
NOTE = {"note": "矩阵：已处理"}

REGISTRY = [
    Op("grid_registry", "POST /v1/auth/token", None, "/v1/auth/token", form={"username": "{teacher}", "password": "{password}"}),
    Op("grid_registry", "GET /v1/auth/me", None, "/v1/auth/me"),
    Op("grid_registry", "POST /v1/grids", "grid", "/v1/grids", json={"name": "新网格{key}", "level": "{level}", "parent_id": "{grid}"}, outside=(422, "parent_id")),
    Op("grid_registry", "GET /v1/grids/{grid_id}", "grid", "/v1/grids/{grid}"),
    Op("grid_registry", "GET /v1/grids/{grid_id}/children", "grid", "/v1/grids/{grid}/children"),
    Op("grid_registry", "PUT /v1/grids/{grid_id}/calendar", "grid", "/v1/grids/{grid}/calendar", json=None),
    Op("grid_registry", "POST /v1/people", "grid", "/v1/people", json={"name": "矩阵新人", "grid_id": "{grid}", "post": "教师"}, outside=(422, "grid_id")),
    Op("grid_registry", "GET /v1/people/{person_id}", "grid", "/v1/people/{person}"),
    Op("grid_registry", "POST /v1/risk-points", "grid", "/v1/risk-points", json={"grid_id": "{grid}", "name": "矩阵新风险点", "category": "other", "risk_grade": "blue"}, outside=(422, "grid_id")),
    Op("grid_registry", "GET /v1/risk-points/{point_id}", "zone", "/v1/risk-points/{point}"),
    Op("grid_registry", "POST /v1/assignments", "grid", "/v1/assignments", json={"target_kind": "grid", "target_id": "{grid}", "person_id": "{person}", "slot": "evening"}, outside=(422, "target_id")),
    Op("grid_registry", "POST /v1/{targets}/{target_id}/assignments/{assignment_id}/end", "grid", "/v1/grids/{grid}/assignments/{assignment}/end", json={}, prepare=_evening_assignment, serial=True),
    Op("grid_registry", "GET /v1/{targets}/{target_id}/assignments", "grid", "/v1/grids/{grid}/assignments"),
    Op("grid_registry", "GET /v1/responsibility", "grid", "/v1/responsibility", query=GRID_ARGS),
    Op("grid_registry", "GET /v1/coverage", "grid", "/v1/coverage", query=GRID_ARGS),
    Op("grid_registry", "GET /v1/grids/{grid_id}/duty-lists", "grid", "/v1/grids/{grid}/duty-lists"),
    Op("grid_registry", "PUT /v1/grids/{grid_id}/duty-lists/{post}", "grid", "/v1/grids/{grid}/duty-lists/班主任", json=["班级安全第一责任人"]),
    Op("grid_registry", "POST /v1/risk-points/{point_id}/qr", "zone", "/v1/risk-points/{point}/qr"),
    Op("grid_registry", "DELETE /v1/qr/{token}", "zone", "/v1/qr/{token}", prepare=_new_token, late=True, serial=True),
    Op("grid_registry", "GET /v1/qr/{token}", "zone", "/v1/qr/{token}"),
    Op("grid_registry", "GET /v1/risk-points/{point_id}/qr.png", "zone", "/v1/risk-points/{point}/qr.png"),
    Op("grid_registry", "GET /v1/grids/{grid_id}/qr-sheet.pdf", "grid", "/v1/grids/{grid}/qr-sheet.pdf"),
    Op("grid_registry", "GET /v1/excel/templates/{kind}.xlsx", None, "/v1/excel/templates/people.xlsx"),
    Op("grid_registry", "POST /v1/excel/import/{kind}", None, "/v1/excel/import/people", query={"dry_run": "true"}, upload=True),
    Op("grid_registry", "GET /v1/excel/export/{kind}.xlsx", "grid", "/v1/excel/export/people.xlsx", query=GRID_ARGS),
    Op("grid_registry", "GET /v1/audit", "grid", "/v1/audit", query={"target_kind": "grid", "target_id": "{grid}"}),
    Op("grid_registry", "POST /v1/admin/republish", "grid", "/v1/admin/republish", query=GRID_ARGS),
]

INTAKE = [
    Op("hazard_intake", "POST /v1/reports", "zone", "/v1/reports", json=REPORT, outside=(422, "point_id")),
    Op("hazard_intake", "POST /v1/reports/batch", "zone", "/v1/reports/batch", json={"reports": [{**REPORT, "idempotency_key": "{key}"}]}, outside=(422, "point_id"), item=True),
    Op("hazard_intake", "GET /v1/points/{point_id}", "zone", "/v1/points/{point}"),
    Op("hazard_intake", "POST /v1/patrols", "zone", "/v1/patrols", json={"qr_token": "{token}", "results": [{"item": "通道是否畅通", "ok": True}], "checked_at": "{now}"}, outside=(422, "qr_token")),
    Op("hazard_intake", "POST /v1/health-checks", "grid", "/v1/health-checks", json={"grid_id": "{grid}", "class_name": "一年级（1）班", "session": "morning", "check_date": "{today}", "present": 40, "absent": 0, "absent_ill": 0}, outside=(422, "grid_id")),
    Op("hazard_intake", "POST /v1/duty-checkins", "grid", "/v1/duty-checkins", json={"grid_id": "{grid}", "action": "check_in", "shift": "day"}, outside=(422, "grid_id")),
    Op("hazard_intake", "GET /m/config.json", None, "/m/config.json"),
    Op("hazard_intake", "GET /open311/v2/services.{format}", None, "/open311/v2/services.json"),
    Op("hazard_intake", "GET /open311/v2/services/{service_code}.{format}", None, f"/open311/v2/services/{CATEGORY}.json"),
    Op("hazard_intake", "POST /open311/v2/requests.{format}", "zone", "/open311/v2/requests.json", form={"service_code": "other", "description": "矩阵：Open311 请求", "attribute[point_id]": "{point}"}, outside=(400, "attribute[point_id]")),
    Op("hazard_intake", "GET /open311/v2/requests.{format}", None, "/open311/v2/requests.json"),
    Op("hazard_intake", "GET /open311/v2/requests/{service_request_id}.{format}", None, "/open311/v2/requests/{request}.json"),
    Op("hazard_intake", "POST /v1/open311/clients", "grid", "/v1/open311/clients", json={"name": "矩阵客户端{key}", "jurisdiction_id": "{grid}"}, outside=(422, "jurisdiction_id")),
    Op("hazard_intake", "GET /v1/open311/clients", None, "/v1/open311/clients"),
    Op("hazard_intake", "DELETE /v1/open311/clients/{client_id}", "grid", "/v1/open311/clients/{client}", prepare=_client),
]

ACTIONS = {
    "assign": {"person_id": "{person}"},
    "accept": {"note": "已到现场"},
    "submit_rectification": {"note": "已清理", "photo_ids": ["matrix-photo"]},
    "verify": {"note": "复查通过"},
    "fail_verification": {"reason": "仍未整改"},
    "reopen": {"reason": "问题再次出现"},
    "reject": {"reason": "经核实不是隐患"},
    "merge": {"into_hazard_id": "{duplicate}"},
    "record_interim": {"measures": "设置警戒线", "requested_deadline": "{soon}"},
    "approve_extension": {"note": "同意"},
    "supervise": {"note": "请尽快整改", "new_deadline": "{soon}"},
}
PERIOD = {"grid_id": "{grid}", "from": "{month}", "to": "{month}"}

CASES = [
    Op("hazard_cases", "GET /v1/hazards", None, "/v1/hazards"),
    Op("hazard_cases", "GET /v1/hazards/{hazard_id}", "zone", "/v1/hazards/{hazard}"),
    Op("hazard_cases", "GET /v1/hazards/{hazard_id}/linked-reports", "zone", "/v1/hazards/{hazard}/linked-reports"),
    *(
        Op("hazard_cases", "POST /v1/hazards/{hazard_id}/actions", "zone", "/v1/hazards/{hazard}/actions", json={"action": action, **body}, action=action, late=True)
        for action, body in ACTIONS.items()
    ),
    Op("hazard_cases", "GET /v1/hazard-lists/{kind}.xlsx", "grid", "/v1/hazard-lists/open.xlsx", query=GRID_ARGS),
    Op("hazard_cases", "GET /v1/hazard-lists/{kind}", "grid", "/v1/hazard-lists/open", query=GRID_ARGS),
    *(Op("hazard_cases", f"GET /v1/stats/{name}", "grid", f"/v1/stats/{name}", query=PERIOD) for name in ("summary", "schools", "overdue")),
    Op("hazard_cases", "GET /v1/deadline-policies/{grid_id}", "grid", "/v1/deadline-policies/{grid}"),
    Op("hazard_cases", "PUT /v1/deadline-policies/{grid_id}", "grid", "/v1/deadline-policies/{grid}", json="{policy}"),
    Op("hazard_cases", "GET /v1/parked-messages", None, "/v1/parked-messages"),
    Op("hazard_cases", "POST /v1/parked-messages/{parked_id}/resolve", "parked", "/v1/parked-messages/{parked}/resolve", json=NOTE),
    Op("hazard_cases", "POST /v1/parked-messages/{parked_id}/replay", "parked", "/v1/parked-messages/{parked}/replay", json=NOTE, late=True),
]

OTHERS = [
    Op("notifications", "GET /v1/notifications", None, "/v1/notifications"),
    Op("notifications", "POST /v1/notifications/{notification_id}/read", "notification", "/v1/notifications/{notification}/read"),
    Op("agency_integration", "POST /v1/agencies", None, "/v1/agencies", json={"name": "矩阵新单位{key}", "kind": "police", "categories": ["drowning"]}),
    Op("agency_integration", "GET /v1/agencies/{agency_id}", "agency", "/v1/agencies/{agency}"),
    Op("agency_integration", "POST /v1/hazards/{hazard_id}/dispositions", "zone", "/v1/hazards/{hazard}/dispositions", json={"kind": "inspected", "note": "矩阵：已现场检查"}),
    Op("agency_integration", "GET /v1/hazards/{hazard_id}/dispositions", "zone", "/v1/hazards/{hazard}/dispositions"),
    Op("agency_integration", "GET /v1/referrals", None, "/v1/referrals"),
    Op("command_centre", "GET /v1/board", None, "/v1/board"),
    Op("media_storage", "POST /v1/uploads", None, "/v1/uploads", json={"content_type": "image/jpeg", "size_bytes": 1000, "purpose": "finding"}),
    Op("media_storage", "POST /v1/media/{media_id}/confirm", "upload", "/v1/media/{upload}/confirm"),
    Op("media_storage", "GET /v1/media/{media_id}", "upload", "/v1/media/{upload}"),
    Op("media_storage", "GET /v1/media/{media_id}", "zone", "/v1/media/{photo}"),
]
# fmt: on


def operations() -> list[Op]:
    """Return every operation tried, in the services' order."""
    return [*REGISTRY, *INTAKE, *CASES, *OTHERS]


def places(op: Op, caller: str) -> tuple[str | None, ...]:
    """Return the places an operation is tried at for a caller (only the teacher has an inbox
    item of their own, only uploaders an upload)."""
    if op.kind is None:
        return (None,)
    if op.kind == "notification" and caller != "teacher":
        return ("other",)
    if op.kind == "upload" and caller not in UPLOADERS:
        return ("other",)
    return PLACES[op.kind]


def in_scope(w: World, op: Op, place: str | None, caller: str) -> bool:
    """Tell whether the object a request aims at lies in the caller's reach."""
    if place is None:
        return True
    if op.kind == "agency":
        return caller == "county_operator" or (caller == "agency" and place == "A1")
    if op.kind in ("notification", "upload"):
        return place == "own"
    return w.paths[place].startswith(w.scope[caller])
