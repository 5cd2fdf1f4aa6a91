"""Authentication and grid-scope authorization: JWT verification, roles, scope checks."""

from shared.auth.dependencies import CurrentUser, current_principal, require_roles
from shared.auth.principal import Principal, scope_filter
from shared.auth.tokens import InvalidToken, TokenIssuer, TokenVerifier

__all__ = [
    "CurrentUser",
    "InvalidToken",
    "Principal",
    "TokenIssuer",
    "TokenVerifier",
    "current_principal",
    "require_roles",
    "scope_filter",
]
