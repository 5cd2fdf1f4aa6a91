"""Settings of hazard case management (env prefix HAZARD_CASES_, shared ones unprefixed)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import CommonSettings


class Settings(CommonSettings):
    """Where the case service listens and its database."""

    model_config = SettingsConfigDict(
        env_prefix="HAZARD_CASES_", extra="ignore", populate_by_name=True, frozen=True
    )

    service_name: str = "hazard_cases"
    port: int = 8004
    mongo_db: str = "xiaoan_hazard_cases"
    duplicate_window_hours: float = Field(
        72,
        ge=0,
        le=24 * 90,
        description="A report on the same point and category joins the "
        "open hazard reported within this many hours (0: never join)",
    )
    timer_interval_seconds: float = Field(
        10.0, gt=0, le=300, description="How often each replica checks the escalation timers"
    )
