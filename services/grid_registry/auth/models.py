"""Models of the token endpoint."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.fields import SingleLineText
from shared.vocabulary import Role


class LoginForm(BaseModel):
    """The OAuth2 password-flow form, each field bounded (a login is never longer)."""

    model_config = ConfigDict(extra="ignore")

    grant_type: Literal["password"] | None = None
    username: Annotated[SingleLineText, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=256)]
    scope: Annotated[SingleLineText, Field(max_length=256)] = ""
    client_id: Annotated[SingleLineText, Field(max_length=128)] | None = None
    client_secret: Annotated[str, Field(max_length=256)] | None = None


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
