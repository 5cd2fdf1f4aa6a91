"""Settings of hazard intake (env prefix HAZARD_INTAKE_, shared ones unprefixed)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import CommonSettings


class Settings(CommonSettings):
    """Where intake listens and how long it trusts its copy of the registry's places."""

    model_config = SettingsConfigDict(
        env_prefix="HAZARD_INTAKE_", extra="ignore", populate_by_name=True, frozen=True
    )

    service_name: str = "hazard_intake"
    port: int = 8002
    mongo_db: str = "xiaoan_hazard_intake"
    place_cache_seconds: float = Field(60.0, gt=0)
    key_retention_days: int = Field(
        14, ge=1, le=90, description="How long a retried report is recognised (offline phones)"
    )
    registry_public_url: str = Field(
        "http://127.0.0.1:8001",
        description="The registry as phones reach it (log-in, QR codes); given to the phone page",
    )
    media_public_url: str = Field(
        "http://127.0.0.1:8003",
        description="Media storage as phones reach it (photo uploads); given to the phone page",
    )
    key_group_linger_ms: float = Field(
        15.0,
        ge=0,
        le=200,
        description="How long a report's key may wait for others to share its database insert",
    )
    key_group_size: int = Field(
        24, ge=1, le=500, description="Keys that make a group full: it is written at once"
    )
    fast_lane: bool = Field(
        True,
        description="Serve well-formed report POSTs without FastAPI's per-request machinery "
        "(reports/fast_lane.py); off only to compare the two",
    )
