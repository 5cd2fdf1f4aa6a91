"""Models of the token endpoint."""

from __future__ import annotations

from pydantic import BaseModel, Field

from shared.vocabulary import Role


class TokenResponse(BaseModel):
    """An OAuth2 bearer token (password flow)."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds until the token expires")


class MeRead(BaseModel):
    """Who the token belongs to."""

    user_id: str
    username: str
    name: str
    roles: list[Role]
    scope: list[str]
    agency_id: str | None
