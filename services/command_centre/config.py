"""Settings of the command centre (env prefix COMMAND_CENTRE_, shared ones unprefixed)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import CommonSettings


class Settings(CommonSettings):
    """Where the command centre listens, and where its page sends people to log in."""

    model_config = SettingsConfigDict(
        env_prefix="COMMAND_CENTRE_", extra="ignore", populate_by_name=True, frozen=True
    )

    service_name: str = "command_centre"
    port: int = 8000
    mongo_db: str = "xiaoan_command_centre"
    token_url: str = Field(
        "http://127.0.0.1:8001/v1/auth/token",
        description="The registry's token endpoint, as the browser reaches it",
    )
    refresh_seconds: float = Field(1.0, gt=0, le=60)
    cases_public_url: str = Field(
        "http://127.0.0.1:8004",
        description="The case service as the browser reaches it (a hazard's detail and actions)",
    )
    media_public_url: str = Field(
        "http://127.0.0.1:8003",
        description="Media storage as the browser reaches it (the before and after photos)",
    )
