"""How much one user or Open311 client may send, counted alike by every replica."""

from __future__ import annotations

from dataclasses import dataclass

from services.hazard_intake.config import Settings
from shared.throttle import Limiters, Throttle


@dataclass(frozen=True)
class Throttles:
    """The rates intake holds its senders to (429 with Retry-After beyond them)."""

    reports: Throttle
    checkins: Throttle
    open311: Throttle

    @classmethod
    def from_settings(cls, limiters: Limiters, settings: Settings) -> Throttles:
        """Build the throttles the settings name."""
        return cls(
            reports=Throttle(limiters.sliding, "reports", settings.reports_per_user),
            checkins=Throttle(limiters.sliding, "checkins", settings.checkins_per_user),
            open311=Throttle(limiters.sliding, "open311", settings.open311_per_client),
        )
