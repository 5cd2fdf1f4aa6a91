"""Settings of hazard case management (env prefix HAZARD_CASES_, shared ones unprefixed)."""

from __future__ import annotations

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
