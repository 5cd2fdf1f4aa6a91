"""Every operation of every service's OpenAPI document, fuzzed on the real servers as each role.

Schemathesis draws requests from each service's own `/openapi.json`, valid ones and ones that
break the schema on purpose, and sends them to a platform of the tier's own, fed with the demo
county: as each role (the bearer token of demo-admin, demo-head, demo-teacher, demo-police) for
the routes that take a token, as nobody for the public ones (Open311's GETs, the log-in), and
as a registered Open311 client (its api_key) for Open311's POST. About half the draws aim at
real objects (`tests/fuzz/known.py`). Every answer must be no 5xx, and must be what the document
says: a documented status code, a documented content type, a body and headers matching the
documented schema. Any case that breaks this fails the service's test, with the first example
of each distinct finding as a curl command; the totals are printed at the end of the run.

The requests are fixed: the seed and the number of cases per operation and identity are below,
the ids aimed at come from the same draws and the Idempotency-Keys are numbered, so a run sends
what the last one sent (with the Hypothesis pinned in requirements-dev.txt).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import httpx
import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup, ServerError
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.formats import unregister_string_format

from tests.fuzz.known import County, Identity, prepare_county
from tests.fuzz.tally import Finding, Tally
from tests.support.platform import Platform

SEED = 20261311
# Cases per operation and identity: 40 × 243 runs (66 operations; those taking a token as each
# of the four roles) ≈ 9,700 requests, two and a half to three and a half minutes on a 2-core
# machine running the seven services, RabbitMQ, FerretDB, MinIO and Redis (the QR sheets and
# Excel exports grow with what the fuzzer adds to the county). At 150 the run found nothing
# more in 36,000 requests and took 16 minutes.
CASES_PER_OPERATION = 40

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

# Operations not fuzzed, and why.
EXCLUDED = {
    # Probes and the metrics scrape take no input; a 503 from /readyz is its job when a
    # dependency is down, and every test tier already calls all three on every service.
    "GET /healthz": "probe",
    "GET /readyz": "probe",
    "GET /metrics": "scrape",
    # Re-announces a whole subtree (every grid, point, assignment and calendar) to every
    # consumer: a few cases as the county operator queue thousands of events that the other
    # services then digest for the rest of the run, so later answers would measure RabbitMQ's
    # backlog. It takes one id and is covered by tests/e2e/test_registry.py.
    "POST /v1/admin/republish": "floods every consumer",
}

SERVICES = [
    "grid_registry",
    "hazard_intake",
    "media_storage",
    "hazard_cases",
    "notifications",
    "agency_integration",
    "command_centre",
]
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture(scope="package")
def moments() -> Iterator[None]:
    """Draw dates and date-times inside the platform's range (2000–2100) about half the time.

    Schemathesis draws them from years 0001–9999, so one in a hundred lands inside the range
    every field accepts, and the code behind the date checks (periods, lists, who answered
    when) would hardly ever run. The other half still comes from anywhere, with offsets up to
    ±23:59, so the bounds themselves keep being tried.
    """
    first, last = date(2000, 1, 1), date(2100, 12, 31)
    days = st.one_of(st.dates(first, last), st.dates())
    times = st.one_of(
        st.datetimes(datetime(2000, 1, 1), datetime(2100, 12, 31, 23, 59, 59)), st.datetimes()
    )
    offsets = st.sampled_from(["Z", "+08:00", "-05:00", "+14:00", "-23:59", "+23:59"])
    schemathesis.openapi.format("date", days.map(date.isoformat))
    schemathesis.openapi.format("date-time", st.builds(_moment, times, offsets))
    yield
    unregister_string_format("date")
    unregister_string_format("date-time")


def _moment(moment: datetime, offset: str) -> str:
    return f"{moment.isoformat()}{offset}"


@pytest.fixture(scope="package")
def county(platform: Platform) -> County:
    """The roles' logins and the real objects the fuzzer aims at."""
    with httpx.Client(timeout=30) as http:
        return prepare_county(platform, http)


@pytest.fixture(scope="package")
def keys() -> Iterator[str]:
    """Idempotency-Keys, one per write, the same from run to run."""
    return (f"fuzz-{n}" for n in itertools.count())


def _identities(operation: Any, county: County) -> list[Identity]:
    if operation.definition.raw.get("security"):
        return county.roles
    if operation.path.startswith("/open311/") and operation.method.upper() == "POST":
        return [Identity("open311_client")]
    return [Identity("anonymous")]


def _aim(case: Case, data: st.DataObject, county: County, identity: Identity) -> None:
    """Send about half the ids to real objects; give Open311 posts the client's api_key."""
    for container in (case.path_parameters, case.query, case.body):
        if not isinstance(container, dict):
            continue
        for name in list(container):
            if name in county.ids and data.draw(st.booleans(), label=name):
                container[name] = data.draw(st.sampled_from(county.ids[name]), label=name)
    # One in ten Open311 posts keeps the drawn api_key: its 403 must be documented too.
    if (
        identity.name == "open311_client"
        and isinstance(case.body, dict)
        and data.draw(st.integers(0, 9), label="api_key") > 0
    ):
        case.body["api_key"] = county.open311_api_key


def _findings(
    error: BaseException, label: str, identity: Identity, case: Case, answer: requests.Response
) -> list[Finding]:
    failures = error.exceptions if isinstance(error, FailureGroup) else (error,)
    example = (
        f"{case.as_curl_command(headers=dict(answer.request.headers))}\n"
        f"→ {answer.status_code} {answer.headers.get('content-type')}: {answer.text[:600]}"
    )
    return [
        Finding(
            label,
            identity.name,
            "5xx" if isinstance(failure, ServerError) else "schema",
            f"{failure.title}: {failure.message.splitlines()[0] if failure.message else ''}"[:300],
            f"{failure.message[:1200]}\n{example}",
        )
        for failure in failures
        if isinstance(failure, Failure)
    ]


def _fuzz(
    operation: Any,
    identity: Identity,
    *,
    label: str,
    base_url: str,
    county: County,
    tally: Tally,
    keys: Iterator[str],
    session: requests.Session,
) -> None:
    """Run the fixed number of cases of one operation as one identity."""
    # Valid requests, requests that break the schema on purpose (where there is anything to
    # break), and the document's own examples (their missing parts drawn), about a third each.
    strategies = [operation.as_strategy(generation_mode=GenerationMode.POSITIVE)]
    if operation.path_parameters or operation.query or operation.body or operation.headers:
        strategies.append(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    examples = operation.get_strategies_from_examples()
    if examples:
        strategies.append(st.one_of(examples))
    strategy = st.one_of(strategies)

    @hypothesis.seed(SEED)
    @hypothesis.settings(
        max_examples=CASES_PER_OPERATION,
        database=None,
        deadline=None,
        derandomize=False,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
        print_blob=False,
    )
    @hypothesis.given(case=strategy, data=st.data())
    def run(case: Case, data: st.DataObject) -> None:
        _aim(case, data, county, identity)
        headers = dict(identity.headers)
        # One write in ten keeps the Idempotency-Key drawn from the document, or none: its
        # 400 or 422 must be documented too.
        if operation.method.upper() in WRITES and data.draw(st.integers(0, 9), label="key"):
            headers["Idempotency-Key"] = next(keys)
        try:
            answer = case.call(base_url=base_url, session=session, headers=headers, timeout=60)
        except (requests.ConnectionError, requests.Timeout) as error:
            tally.record(None, [Finding(label, identity.name, "5xx", f"no answer: {error}", "")])
            return
        except requests.RequestException:
            hypothesis.reject()  # a request the client library refuses to send
        try:
            case.validate_response(
                answer,
                checks=CHECKS,
                headers=headers,
                transport_kwargs={"base_url": base_url, "session": session, "headers": headers},
            )
        except (FailureGroup, Failure) as error:
            tally.record(answer.status_code, _findings(error, label, identity, case, answer))
        else:
            tally.record(answer.status_code, [])

    run()


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.usefixtures("moments")
def test_every_answer_is_documented_and_no_5xx(
    service: str, platform: Platform, county: County, tally: Tally, keys: Iterator[str]
) -> None:
    base_url = platform.url(service)
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    started = time.monotonic()
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operation = result.ok()
            label = f"{operation.method.upper()} {operation.path}"
            if label in EXCLUDED:
                continue
            tally.operations.add(f"{service} {label}")
            for identity in _identities(operation, county):
                before, statuses = tally.cases, tally.statuses.copy()
                lap = time.monotonic()
                _fuzz(
                    operation,
                    identity,
                    label=f"{service} {label}",
                    base_url=base_url,
                    county=county,
                    tally=tally,
                    keys=keys,
                    session=session,
                )
                tally.runs += 1
                answers = ", ".join(
                    f"{code}×{n}" for code, n in sorted((tally.statuses - statuses).items())
                )
                print(
                    f"{service} {label} as {identity.name}: {tally.cases - before} cases "
                    f"in {time.monotonic() - lap:.1f} s ({answers})"
                )
    tally.seconds += time.monotonic() - started
    found = tally.findings_of(service)
    assert not found, f"{len(found)} findings:\n\n" + "\n\n".join(f.describe() for f in found)
