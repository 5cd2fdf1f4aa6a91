"""Settings of the grid registry (env prefix GRID_REGISTRY_, shared ones unprefixed)."""

from __future__ import annotations

from pathlib import Path
from typing import Self

from limits import parse
from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import CommonSettings


class Settings(CommonSettings):
    """Where the registry listens, its database, and how it signs tokens."""

    model_config = SettingsConfigDict(
        env_prefix="GRID_REGISTRY_", extra="ignore", populate_by_name=True, frozen=True
    )

    service_name: str = "grid_registry"
    port: int = 8001
    mongo_db: str = "xiaoan_grid_registry"
    jwt_private_key_file: Path | None = Field(
        None, validation_alias=AliasChoices("JWT_PRIVATE_KEY_FILE")
    )
    token_ttl_minutes: int = Field(480, ge=5, le=24 * 60)
    demo_data: bool = Field(False, description="Seed the demo county (dev mode only)")
    lookup_cache_seconds: float = Field(
        300.0, ge=0, le=3600, description="Longest a cached grid or point is trusted"
    )
    qr_base_url: str = Field(
        "http://127.0.0.1:8002/q",
        description="Printed QR codes encode <this>/<token>; the phone page opens it",
    )

    # Wrong passwords before a login is locked, and before an address is; `limits` notation.
    login_failures_per_account: str = Field(
        "10/15 minutes", description="Wrong passwords for one login before it is locked"
    )
    login_failures_per_address: str = Field(
        "100/15 minutes",
        description="Wrong passwords from one client address (a school's NAT holds many "
        "teachers) before it is locked",
    )

    @field_validator("login_failures_per_account", "login_failures_per_address")
    @classmethod
    def _a_rate(cls, value: str) -> str:
        parse(value)  # raises ValueError on anything but "N/unit" or "N per unit"
        return value

    @model_validator(mode="after")
    def _demo_only_in_dev(self) -> Self:
        if self.demo_data and not self.is_dev:
            raise ValueError("refusing demo data (and its known passwords) outside dev mode")
        if self.jwt_private_key_file is None:
            raise ValueError("JWT_PRIVATE_KEY_FILE is required: the registry signs the tokens")
        return self
