"""Events of hazard intake: what teachers and grid members submitted."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from shared.events.base import Event
from shared.refs import PersonRef
from shared.vocabulary import HazardCategory


class GeoPoint(BaseModel):
    """A GPS position (WGS-84)."""

    model_config = ConfigDict(frozen=True)

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class ReportSubmitted(Event, routing_key="hazard_intake.report.submitted"):
    """A hazard report was accepted at the front door (answered 202 after the broker confirmed)."""

    report_id: str = Field(description="Derived from reporter and Idempotency-Key: retries match")
    point_id: str | None
    grid_id: str = Field(description="The grid of the point, or the grid reported on")
    grid_path: str = Field(description="Materialized path of that grid, for scope checks")
    category: HazardCategory
    description: str
    location: GeoPoint | None
    photo_ids: tuple[str, ...]
    reporter: PersonRef
    reporter_scope: tuple[str, ...] = Field(description="Grid paths the reporter may act in")
    submitted_at: datetime | None = Field(None, description="Phone clock when written (offline)")
    received_at: datetime
