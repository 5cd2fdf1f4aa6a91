"""Settings of hazard intake (env prefix HAZARD_INTAKE_, shared ones unprefixed)."""

from __future__ import annotations

from limits import parse
from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import CommonSettings


class Settings(CommonSettings):
    """Where intake listens, how long it trusts its copy of the registry's places, how much
    one user or Open311 client may send."""

    model_config = SettingsConfigDict(
        env_prefix="HAZARD_INTAKE_", extra="ignore", populate_by_name=True, frozen=True
    )

    service_name: str = "hazard_intake"
    port: int = 8002
    mongo_db: str = "xiaoan_hazard_intake"
    place_cache_seconds: float = Field(60.0, gt=0)
    registry_public_url: str = Field(
        "http://127.0.0.1:8001",
        description="The registry as phones reach it (log-in, QR codes); given to the phone page",
    )
    media_public_url: str = Field(
        "http://127.0.0.1:8003",
        description="Media storage as phones reach it (photo uploads); given to the phone page",
    )
    # A phone flushing an offline queue sends its reports back to back; a batch counts each.
    reports_per_user: str = Field(
        "120/minute", description="Reports one user may send (`limits` notation)"
    )
    checkins_per_user: str = Field(
        "120/minute", description="Patrols, health checks and duty check-ins per user"
    )
    open311_per_client: str = Field(
        "600/minute", description="Requests one Open311 client may file"
    )

    @field_validator("reports_per_user", "checkins_per_user", "open311_per_client")
    @classmethod
    def _a_rate(cls, value: str) -> str:
        parse(value)  # raises ValueError on anything but "N/unit" or "N per unit"
        return value
