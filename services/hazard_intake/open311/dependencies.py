"""Request dependencies of the Open311 door: intake's places, its key ledger, operators."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.hazard_intake.places.cache import PlaceCache
from services.hazard_intake.reports.ledger import KeyLedger
from shared.auth import Principal, require_roles
from shared.vocabulary import Role


async def get_places(request: Request) -> PlaceCache:
    """Return intake's copy of the registry's places."""
    places: PlaceCache = request.app.state.places
    return places


async def get_ledger(request: Request) -> KeyLedger:
    """Return the ledger of report Idempotency-Keys (shared with POST /v1/reports)."""
    ledger: KeyLedger = request.app.state.key_ledger
    return ledger


Places = Annotated[PlaceCache, Depends(get_places)]
Ledger = Annotated[KeyLedger, Depends(get_ledger)]
Operator = Annotated[Principal, Depends(require_roles(Role.COUNTY_OPERATOR))]
