"""The authorization matrix, tried on the running services: every caller (a county operator,
a school head, a teacher, an agency liaison, an Open311 client, the public) on every operation
of every service's OpenAPI document, aimed at objects in the caller's own grid, below it, and
outside it (a sibling school, the other township).

What each must be answered is read from the README's matrix: a granted caller reaching inside
its subtree is not refused (401, 403, 404; a 409 or 422 from the state or the body is an
answer); outside it, 404 (or the 422 naming the field that names the object); a role the row
does not grant, 403; no token on a row for tokens, 401. A step of the case loop that the
person may not take (not the assignee, the rectifier's own work) is 403 `not_this_person`,
counted apart. Any other answer is a violation, and so is any 5xx.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.e2e.matrix_county import CALLERS, World, build
from tests.e2e.matrix_operations import UNSET, Op, in_scope, operations, places, request_for
from tests.support.matrix import Row, readme_rows
from tests.support.platform import Platform, running_platform

SERVICES = (
    "grid_registry",
    "hazard_intake",
    "hazard_cases",
    "notifications",
    "agency_integration",
    "command_centre",
    "media_storage",
)
OPERATIONAL = {"/healthz", "/readyz", "/metrics"}
CONCURRENCY = 16
PERSON = "a step this person may not take (403 not_this_person), granted to the role"
# Answers that mean a request got past the role and scope checks.
PAST_THE_CHECKS = {400, 409, 422}


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """A platform of this module's own: the cases change registry data, hazards and QR codes."""
    with running_platform(tmp_path_factory.mktemp("matrix")) as running:
        yield running


@dataclass(frozen=True)
class Case:
    """One caller, one operation, one place, and what the matrix says it must be answered."""

    caller: str
    op: Op
    place: str | None
    expect: str  # "answer", "outside", "forbidden", "unauthenticated"

    def __str__(self) -> str:
        return f"{self.caller} {self.op.endpoint}{self._detail()} → expected {self.expect}"

    def _detail(self) -> str:
        action = f" {self.op.action}" if self.op.action else ""
        return f"{action} @{self.place}" if self.place else action


def expectation(granted: frozenset[str], caller: str, inside: bool) -> str:
    """Return what a caller must be answered on a row granting `granted`."""
    if "public" in granted:
        return "answer"
    if "open311_client" in granted:
        if caller != "open311_client":
            return "forbidden"
    elif caller in ("open311_client", "public"):
        return "unauthenticated"
    elif caller not in granted:
        return "forbidden"
    return "answer" if inside else "outside"


def granted_for(rows: list[Row], op: Op) -> frozenset[str]:
    """Return the callers the README's matrix grants an operation (a hazard action: its row)."""
    if op.action is not None:
        (row,) = [r for r in rows if (r.resource, r.action) == ("hazard actions", op.action)]
        return row.granted
    found = [r for r in rows if r.service == op.service and op.endpoint in r.endpoints]
    assert len(found) == 1, f"{op.service} {op.endpoint}: {len(found)} rows in the README"
    return found[0].granted


def cases_for(world: World, rows: list[Row]) -> list[Case]:
    """Return every caller × operation × place, with what it must be answered."""
    return [
        Case(caller, op, place, expectation(granted_for(rows, op), caller, inside))
        for op in operations()
        for caller in CALLERS
        for place in places(op, caller)
        for inside in [in_scope(world, op, place, caller)]
    ]


async def documented(platform: Platform, http: httpx.AsyncClient) -> set[tuple[str, str]]:
    """Return every (service, 'METHOD /path') the services' OpenAPI documents list."""
    found = set()
    for service in SERVICES:
        document = (await http.get(platform.url(service) + "/openapi.json")).json()
        for path, operations_ in document["paths"].items():
            if path not in OPERATIONAL:
                found |= {(service, f"{method.upper()} {path}") for method in operations_}
    return found


async def send(world: World, case: Case) -> tuple[int, Any]:
    """Make the case's request; return its status and decoded body (a batch: its item's)."""
    call = await request_for(case.op, world, case.place, case.caller)
    headers = dict(world.headers[case.caller])
    if case.op.method != "GET":
        headers["Idempotency-Key"] = uuid.uuid4().hex
    content = None
    if call.json is not UNSET:
        content = json.dumps(call.json).encode()
        headers["Content-Type"] = "application/json"
    response = await world.http.request(
        case.op.method,
        world.platform.url(case.op.service) + call.path,
        params=call.query,
        headers=headers,
        content=content,
        data=call.form,
        files=call.files,
    )
    try:
        body = response.json()
    except ValueError:
        body = None
    if case.op.item and response.status_code == 200:
        first = body["results"][0]
        return int(first["status"]), {"error": first["error"]}
    return response.status_code, body


def _names(body: Any, field: str) -> bool:
    """Tell whether an error body names `field` (ours: a detail; Open311's: a description)."""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        details = body["error"].get("details") or []
        return any(d["field"] == field or d["field"].endswith("." + field) for d in details)
    if isinstance(body, list):
        return any(str(e.get("description", "")).startswith(field) for e in body)
    return False


def _code(body: Any) -> str | None:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("code"))
    return None


def judge(case: Case, status: int, body: Any) -> str:
    """Return 'ok', a person-level refusal of a granted step, or the violation."""
    if status >= 500:
        return "server error"
    if case.expect == "answer":
        if status == 403 and case.op.action and _code(body) == "not_this_person":
            return PERSON
        return "denied what the matrix grants" if status in (401, 403, 404) else "ok"
    expected, field = {
        "outside": case.op.outside,
        "forbidden": (403, None),
        "unauthenticated": (401, None),
    }[case.expect]
    if status == expected and (field is None or _names(body, field)):
        if case.expect == "forbidden" and _code(body) not in (None, "forbidden"):
            return "refused with the wrong code"
        return "ok"
    if status < 400 or status in PAST_THE_CHECKS:
        return "access the matrix does not grant"
    return "refused the wrong way"


async def run(world: World, cases: list[Case]) -> list[tuple[Case, int, str]]:
    """Try the cases, many at once; those of a serial operation on one place one by one."""
    gate = asyncio.Semaphore(CONCURRENCY)
    results: list[tuple[Case, int, str]] = []

    async def one(case: Case) -> None:
        async with gate:
            status, body = await send(world, case)
        results.append((case, status, judge(case, status, body)))

    async def in_turn(group: list[Case]) -> None:
        for case in group:
            await one(case)

    groups: dict[tuple[str, str | None], list[Case]] = {}
    for case in cases:
        if case.op.serial:
            groups.setdefault((case.op.endpoint, case.place), []).append(case)
    loose = [one(case) for case in cases if not case.op.serial]
    await asyncio.gather(*loose, *(in_turn(group) for group in groups.values()))
    return results


async def test_every_caller_gets_what_the_matrix_grants_and_nothing_more(
    platform: Platform, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    limits = httpx.Limits(max_connections=CONCURRENCY * 2)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        world = await build(platform, http)
        built = time.monotonic()
        tried = {(op.service, op.endpoint) for op in operations()}
        assert tried == await documented(platform, http), "every operation needs an example"
        rows = readme_rows()
        cases = cases_for(world, rows)
        # Reads first; then what changes what they read (hazards' states, QR tokens).
        results = await run(world, [c for c in cases if not c.op.late])
        results += await run(world, [c for c in cases if c.op.late])
    verdicts = Counter(verdict for _, _, verdict in results)
    violations = [(c, s, v) for c, s, v in results if v not in ("ok", PERSON)]
    by_expectation = Counter(case.expect for case, _, _ in results)
    answers = Counter(status for case, status, _ in results if case.expect == "answer")
    lines = [
        f"authorization matrix: {len(results)} cases, {len(violations)} violations",
        *(f"  {verdict}: {n}" for verdict, n in sorted(verdicts.items()) if verdict != "ok"),
        "  expected: " + ", ".join(f"{k} {n}" for k, n in sorted(by_expectation.items())),
        "  granted requests answered: "
        + ", ".join(f"{k} ×{n}" for k, n in sorted(answers.items())),
        f"  county built in {built - started:.0f} s, cases tried in {time.monotonic() - built:.0f} s",
        *(f"  {verdict}: {case} — got {status}" for case, status, verdict in violations),
    ]
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert len(results) == len(cases)
    assert not violations, "\n".join(lines)
