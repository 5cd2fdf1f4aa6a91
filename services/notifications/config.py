"""Settings of notifications (env prefix NOTIFICATIONS_, shared ones unprefixed)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import CommonSettings


class Settings(CommonSettings):
    """Where the notification service listens and its database."""

    model_config = SettingsConfigDict(
        env_prefix="NOTIFICATIONS_", extra="ignore", populate_by_name=True, frozen=True
    )

    service_name: str = "notifications"
    port: int = 8005
    mongo_db: str = "xiaoan_notifications"
