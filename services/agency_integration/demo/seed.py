"""The demo police liaison (dev mode only), matching the registry's demo login demo-police."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.agency_integration.agencies import repository
from services.agency_integration.agencies.service import new_webhook_secret
from shared.clock import utc_now
from shared.vocabulary import HazardCategory

POLICE_AGENCY = "demo-agency-police"
DEMO_COUNTY_PATH = "/demo-county/"


async def seed_demo(db: AsyncDatabase[dict[str, Any]]) -> None:
    """Register the demo police station (no webhook: it reads its feed) if missing."""
    await repository.insert(
        db,
        {
            "_id": POLICE_AGENCY,
            "name": "城关派出所",
            "kind": "police",
            "categories": [
                HazardCategory.CAMPUS_SECURITY.value,
                HazardCategory.TRAFFIC.value,
                HazardCategory.BULLYING.value,
            ],
            "webhook_url": None,
            "webhook_secret": new_webhook_secret(),
            "area_path": DEMO_COUNTY_PATH,
            "created_at": utc_now(),
        },
    )
