"""Settings of agency integration (env prefix AGENCY_INTEGRATION_, shared ones unprefixed)."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from services.agency_integration.deliveries.targets import TargetPolicy, parse_allow_list
from shared.settings import CommonSettings


class Settings(CommonSettings):
    """Where the agency service listens, and how webhook deliveries are retried."""

    model_config = SettingsConfigDict(
        env_prefix="AGENCY_INTEGRATION_", extra="ignore", populate_by_name=True, frozen=True
    )

    service_name: str = "agency_integration"
    port: int = 8006
    mongo_db: str = "xiaoan_agency_integration"
    webhook_timeout_seconds: float = Field(10.0, gt=0)
    # Back-off between delivery attempts (Standard Webhooks suggests growing waits up to a day).
    webhook_retry_seconds: tuple[float, ...] = (5, 30, 120, 600, 1800, 7200, 18000, 36000)
    delivery_poll_seconds: float = Field(0.5, gt=0)
    webhook_allowed_targets: tuple[str, ...] = Field(
        (),
        description=(
            "Internal webhook targets this deployment permits, as a JSON list of host names "
            "(matched exactly, whatever they resolve to), addresses and CIDR networks; "
            "loopback, private, link-local and reserved ones are refused otherwise (loopback "
            "is permitted in dev and test modes; metadata endpoints never are)"
        ),
    )
    demo_data: bool = Field(False, description="Seed the demo police liaison (dev mode only)")

    @model_validator(mode="after")
    def _demo_only_in_dev(self) -> Self:
        if self.demo_data and not self.is_dev:
            raise ValueError("refusing demo data outside dev mode")
        return self

    @model_validator(mode="after")
    def _allow_list_reads(self) -> Self:
        parse_allow_list(self.webhook_allowed_targets)  # a bad entry fails start-up
        return self

    def webhook_targets(self) -> TargetPolicy:
        """Return the policy webhook URLs are checked against, at registration and delivery."""
        return TargetPolicy.build(self.webhook_allowed_targets, allow_loopback=self.is_dev)
