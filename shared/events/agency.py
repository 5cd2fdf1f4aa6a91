"""Events of agency integration: police, market regulators and others answering back."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from shared.events.base import Event
from shared.refs import PersonRef
from shared.vocabulary import AgencyKind, DispositionKind


class AgencyDispositionRecorded(Event, routing_key="agency_integration.disposition.recorded"):
    """An agency recorded how it handled a hazard it was sent (处置反馈); the status is unchanged."""

    disposition_id: str = Field(description="Unique per disposition; consumers dedupe on it")
    hazard_id: str
    grid_path: str = Field(description="Materialized path of the hazard's grid, for scope checks")
    agency_id: str
    agency_name: str
    agency_kind: AgencyKind
    kind: DispositionKind
    note: str = Field(description="What the agency wrote, as written (at most 2,000 characters)")
    acted_at: datetime = Field(description="When the agency acted (may precede occurred_at)")
    officer: str | None = Field(None, description="The officer's name or unit, as written")
    reference: str | None = Field(None, description="The agency's own number, e.g. 警情编号")
    recorded_by: PersonRef = Field(description="The agency account that recorded it")


class HazardReferred(Event, routing_key="agency_integration.referral.created"):
    """A hazard was referred to an agency (its category and area concern it): the agency's
    liaisons may now see it, within their log-in's subtree, and answer it."""

    referral_id: str = Field(description="One per hazard and agency; the same on redelivery")
    hazard_id: str
    agency_id: str
    grid_path: str = Field(description="Materialized path of the hazard's grid, for scope checks")
