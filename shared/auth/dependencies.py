"""FastAPI dependency: the current user from the bearer token (roles are admitted by
`shared.auth.access`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.auth.principal import Principal
from shared.auth.tokens import InvalidToken, TokenVerifier
from shared.errors import ApiError

_bearer = HTTPBearer(
    auto_error=False,
    description="Access token from POST :8001/v1/auth/token (grid registry)",
)


def _unauthorized(reason_en: str) -> ApiError:
    return ApiError(
        401,
        "unauthorized",
        "未登录或登录已过期，请重新登录",
        f"Not authenticated: {reason_en}",
        headers={"WWW-Authenticate": "Bearer"},
    )


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Return the caller of this request, or answer 401."""
    if credentials is None:
        raise _unauthorized("missing bearer token")
    verifier: TokenVerifier = request.app.state.token_verifier
    try:
        return verifier.verify(credentials.credentials)
    except InvalidToken as exc:
        raise _unauthorized(str(exc)) from exc


CurrentUser = Annotated[Principal, Depends(current_principal)]
