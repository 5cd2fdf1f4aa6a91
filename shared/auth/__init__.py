"""Authentication and authorization: JWT verification, the roles each row of the matrix grants
(`shared.auth.access`), grid-scope checks."""

from shared.auth.dependencies import CurrentUser, current_principal
from shared.auth.principal import Principal, scope_filter
from shared.auth.tokens import InvalidToken, TokenIssuer, TokenVerifier

__all__ = [
    "CurrentUser",
    "InvalidToken",
    "Principal",
    "TokenIssuer",
    "TokenVerifier",
    "current_principal",
    "scope_filter",
]
