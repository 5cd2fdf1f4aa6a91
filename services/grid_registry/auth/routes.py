"""The token endpoint (OAuth2 password flow) and who-am-I."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request

from services.grid_registry.access import admit
from services.grid_registry.auth.lockout import Lockouts, get_lockouts
from services.grid_registry.auth.models import LoginForm, MeRead, TokenResponse
from services.grid_registry.auth.service import authenticate
from shared.auth import CurrentUser, TokenIssuer
from shared.dependencies import Db
from shared.errors import ApiError

router = APIRouter(prefix="/v1/auth", tags=["auth"])


@router.post(
    "/token",
    dependencies=[admit("token", "issue")],
    response_model=TokenResponse,
    summary="Log in and get an access token accepted by every service",
    responses={429: {"description": "Locked after repeated wrong passwords: see Retry-After"}},
)
async def issue_token(
    request: Request,
    db: Db,
    form: Annotated[LoginForm, Form()],
    lockouts: Annotated[Lockouts, Depends(get_lockouts)],
) -> TokenResponse:
    """Exchange a username and password for a bearer token (429 while the login or the
    client's address is locked after repeated wrong passwords)."""
    address = request.client.host if request.client else "unknown"
    await lockouts.ensure_open(form.username, address)
    principal = await authenticate(db, form.username, form.password)
    if principal is None:
        await lockouts.failed(db, form.username, address)
        raise ApiError(
            401,
            "invalid_credentials",
            "用户名或密码错误",
            "Wrong username or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    await lockouts.succeeded(form.username)
    issuer: TokenIssuer = request.app.state.token_issuer
    ttl = timedelta(minutes=request.app.state.settings.token_ttl_minutes)
    return TokenResponse(
        access_token=issuer.issue(principal, ttl), expires_in=int(ttl.total_seconds())
    )


@router.get(
    "/me",
    dependencies=[admit("own account", "read")],
    response_model=MeRead,
    summary="Who the token belongs to",
)
async def me(principal: CurrentUser) -> MeRead:
    """Describe the caller."""
    return MeRead(
        user_id=principal.user_id,
        username=principal.username,
        name=principal.name,
        roles=sorted(principal.roles),
        scope=list(principal.scope),
        agency_id=principal.agency_id,
    )
