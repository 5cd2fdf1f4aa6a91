"""Who may use what: a service's rows of the authorization matrix, and the dependency that
admits a caller to a route.

The matrix (README, "Authorization") has one row per resource and action and one column per
kind of caller: the four roles a token carries, the Open311 client (an api_key) and the
public (no log-in at all). Each service keeps its rows in its own `access.py` as an
`AccessTable`, and every route declares exactly one of them (`table.admit(resource, action)`
in the route's `dependencies`). A caller whose roles the row does not grant is answered 403
before anything is read; where the caller may reach (the grid subtree of the token) is decided
where each object is loaded, and an object outside it answers 404 as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import Depends

from shared.auth.dependencies import CurrentUser
from shared.auth.principal import Principal
from shared.errors import ApiError
from shared.vocabulary import Role

Caller = Literal["token", "open311_client", "public"]
OPEN311_CLIENT = "open311_client"
PUBLIC = "public"
# The matrix's columns, in the README's order.
COLUMNS: tuple[str, ...] = (*(role.value for role in Role), OPEN311_CLIENT, PUBLIC)
EVERY_ROLE = frozenset(Role)

# The attribute a dependency carries when it admits callers by a rule of the matrix.
RULE_MARK = "__access_rule__"


@dataclass(frozen=True)
class Rule:
    """One row of the matrix: who may take `action` on `resource`.

    `routed` is False for rows checked inside a route rather than by one (the actions of a
    hazard, which the body names).
    """

    resource: str
    action: str
    label_zh: str
    roles: frozenset[Role] = frozenset()
    caller: Caller = "token"
    routed: bool = True

    @property
    def key(self) -> tuple[str, str]:
        """Return (resource, action)."""
        return (self.resource, self.action)

    def granted(self) -> frozenset[str]:
        """Return the matrix columns this row grants."""
        if self.caller == "public":
            return frozenset({PUBLIC})
        if self.caller == "open311_client":
            return frozenset({OPEN311_CLIENT})
        return frozenset(role.value for role in self.roles)

    def allows(self, principal: Principal) -> bool:
        """Tell whether a token's holder may use this row."""
        return self.caller == "token" and principal.has_role(*self.roles)


def grant(resource: str, action: str, label_zh: str, *roles: Role, routed: bool = True) -> Rule:
    """Return a row granted to token holders of `roles`."""
    return Rule(resource, action, label_zh, frozenset(roles), routed=routed)


def public(resource: str, action: str, label_zh: str) -> Rule:
    """Return a row anyone may use, without logging in."""
    return Rule(resource, action, label_zh, caller="public")


def open311_client(resource: str, action: str, label_zh: str) -> Rule:
    """Return a row only a registered Open311 client (its api_key) may use."""
    return Rule(resource, action, label_zh, caller="open311_client")


def forbidden(found: Rule) -> ApiError:
    """Build the 403 for a caller whose roles `found` does not grant."""
    granted = ", ".join(sorted(found.granted())) or "nobody"
    return ApiError(
        403,
        "forbidden",
        f"当前角色无权{found.label_zh}",
        f"Your role may not {found.action} {found.resource} (granted to: {granted})",
    )


class AccessTable:
    """A service's rows of the matrix, and the dependencies that enforce them."""

    def __init__(self, service: str, rules: Iterable[Rule]) -> None:
        self.service = service
        self.rules: dict[tuple[str, str], Rule] = {}
        for row in rules:
            if row.key in self.rules:
                raise ValueError(f"{service}: {row.key} is declared twice")
            self.rules[row.key] = row

    def rule(self, resource: str, action: str) -> Rule:
        """Return the row of `resource` and `action` (KeyError if the matrix has none)."""
        return self.rules[(resource, action)]

    def check(self, principal: Principal, resource: str, action: str) -> None:
        """Answer 403 unless the caller's roles are granted `action` on `resource`."""
        found = self.rule(resource, action)
        if not found.allows(principal):
            raise forbidden(found)

    def admit(self, resource: str, action: str) -> Any:
        """Return the dependency a route declares to admit callers by this row.

        Token rows need a valid token (401) with a granted role (403); public rows admit
        anyone. An Open311 client row needs the client's own check: see `mark`.
        """
        found = self.rule(resource, action)
        if found.caller == "public":

            async def anyone() -> None:
                """Admit every caller: this row is public."""

            return Depends(self.mark(anyone, resource, action))
        if found.caller != "token":
            raise ValueError(f"{self.service}: {found.key} is checked by its own dependency")

        async def granted(principal: CurrentUser) -> Principal:
            """Admit the caller if the row grants one of their roles."""
            if not found.allows(principal):
                raise forbidden(found)
            return principal

        return Depends(self.mark(granted, resource, action))

    def mark(
        self, dependency: Callable[..., Any], resource: str, action: str
    ) -> Callable[..., Any]:
        """Mark `dependency` as the one that admits callers by this row, and return it."""
        self.rule(resource, action)
        setattr(dependency, RULE_MARK, (self.service, resource, action))
        return dependency


def rule_of(dependency: Callable[..., Any] | None) -> tuple[str, str, str] | None:
    """Return (service, resource, action) if `dependency` admits callers by a row."""
    mark = getattr(dependency, RULE_MARK, None)
    return mark if isinstance(mark, tuple) else None
