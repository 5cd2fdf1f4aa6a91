"""The authorization matrix is declared once and kept: every route of every service admits its
callers by exactly one row of its service's access table, every row is used, and the README's
matrix says the same as the tables (who is granted what, on which endpoints)."""

from __future__ import annotations

import importlib
from collections import defaultdict
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from shared.auth.access import COLUMNS, AccessTable, rule_of
from tests.support.matrix import HEADERS, Row, readme_rows

SERVICES = (
    "grid_registry",
    "hazard_intake",
    "hazard_cases",
    "notifications",
    "agency_integration",
    "command_centre",
    "media_storage",
)
# Every service's operational endpoints (shared/observability/health.py), outside the matrix.
OPERATIONS = {"GET /healthz", "GET /readyz", "GET /metrics"}


def build_app(name: str, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    monkeypatch.setenv("XIAOAN_ENV", "test")
    monkeypatch.setenv("JWT_PRIVATE_KEY_FILE", "/nonexistent/only-read-at-start-up.pem")
    app: FastAPI = importlib.import_module(f"services.{name}.main").create_app()
    return app


def table_of(name: str) -> AccessTable:
    table: AccessTable = importlib.import_module(f"services.{name}.access").ACCESS
    return table


def _marks(dependant: Dependant) -> Iterator[tuple[str, str, str]]:
    for sub in dependant.dependencies:
        mark = rule_of(sub.call)
        if mark is not None:
            yield mark
        yield from _marks(sub)


def declared_rules(app: FastAPI) -> dict[str, list[tuple[str, str, str]]]:
    """Return each route ('METHOD /path') and the rows its dependencies admit callers by."""
    found: dict[str, list[tuple[str, str, str]]] = {}
    for context in iter_route_contexts(app.routes):
        if not isinstance(context.original_route, APIRoute):
            continue
        for method in sorted(context.methods or ()):
            found[f"{method} {context.path}"] = list(_marks(context.dependant))
    return found


def table_rows(name: str, app: FastAPI) -> list[Row]:
    """Return a service's rows as its access table and its routes make them."""
    endpoints: dict[tuple[str, str], set[str]] = defaultdict(set)
    for route, marks in declared_rules(app).items():
        for _, resource, action in marks:
            endpoints[(resource, action)].add(route)
    return [
        Row(name, rule.resource, rule.action, frozenset(endpoints[rule.key]), rule.granted())
        for rule in table_of(name).rules.values()
    ]


@pytest.mark.parametrize("name", SERVICES)
def test_every_route_admits_by_exactly_one_row_of_its_own_service(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = table_of(name)
    wrong = {
        route: marks
        for route, marks in declared_rules(build_app(name, monkeypatch)).items()
        if route not in OPERATIONS
        and (len(marks) != 1 or marks[0][0] != name or marks[0][1:] not in table.rules)
    }
    assert wrong == {}, "each route needs dependencies=[admit(resource, action)]"


@pytest.mark.parametrize("name", SERVICES)
def test_every_row_is_used_where_it_says(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    used = {
        (resource, action)
        for marks in declared_rules(build_app(name, monkeypatch)).values()
        for _, resource, action in marks
    }
    rules = table_of(name).rules.values()
    assert [rule.key for rule in rules if rule.routed and rule.key not in used] == []
    # A row checked inside a route (by the body's action) is no route's own.
    assert [rule.key for rule in rules if not rule.routed and rule.key in used] == []


def test_the_readme_matrix_is_the_access_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    written = readme_rows()
    assert {row.service for row in written} == set(SERVICES)
    in_readme = {(r.service, r.resource, r.action): r for r in written if r.service in SERVICES}
    assert len(in_readme) == len([r for r in written if r.service in SERVICES]), "a row twice"
    in_code = {
        (row.service, row.resource, row.action): row
        for name in SERVICES
        for row in table_rows(name, build_app(name, monkeypatch))
    }
    assert sorted(in_readme) == sorted(in_code)
    for key, row in in_code.items():
        readme = in_readme[key]
        assert readme.granted == row.granted, (key, "README", readme.granted, "code", row.granted)
        # Rows checked inside a route (a hazard's actions) name no endpoint of their own.
        assert readme.endpoints == row.endpoints, (key, readme.endpoints, row.endpoints)


def test_every_column_of_the_readme_matrix_is_a_caller() -> None:
    assert sorted(HEADERS.values()) == sorted(COLUMNS)
    assert readme_rows(), "the README has no matrix"
