"""Registering agencies and deciding which hazards concern them."""

from __future__ import annotations

import base64
import os
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.agency_integration.agencies import repository
from services.agency_integration.agencies.models import AgencyCreate, AgencyRead
from services.agency_integration.deliveries.targets import TargetPolicy, TargetRefused
from shared.auth import Principal
from shared.clock import utc_now
from shared.errors import ApiError, field_error, not_found
from shared.ids import new_id
from shared.vocabulary import Role

Document = dict[str, Any]


def new_webhook_secret() -> str:
    """Return a fresh Standard Webhooks secret ('whsec_' + base64 of 24 random bytes)."""
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


def to_read(doc: Document, *, with_secret: bool = False) -> AgencyRead:
    """Shape an agency document for clients (the secret only when asked)."""
    return AgencyRead(
        agency_id=doc["_id"],
        name=doc["name"],
        kind=doc["kind"],
        categories=doc["categories"],
        webhook_url=doc.get("webhook_url"),
        area_path=doc["area_path"],
        created_at=doc["created_at"],
        webhook_secret=doc["webhook_secret"] if with_secret else None,
    )


def check_webhook_url(*, targets: TargetPolicy, url: str) -> None:
    """Refuse (422 on `webhook_url`) a URL aimed at a target the deployment does not permit.

    Only what the URL itself shows is checked here; the addresses its host name resolves to
    are checked again at every delivery (deliveries/sending.py).
    """
    try:
        targets.check_url(url)
    except TargetRefused as refused:
        raise field_error(
            "webhook_url", refused.code, refused.message_zh, refused.message_en
        ) from refused


async def create(
    *,
    db: AsyncDatabase[Document],
    principal: Principal,
    agency_in: AgencyCreate,
    targets: TargetPolicy,
) -> AgencyRead:
    """Register an agency for the caller's area (county operators, as the matrix says)."""
    if not principal.scope:
        raise ApiError(
            403,
            "forbidden",
            "您的账号没有所属网格，不能登记外部单位",
            "Your login belongs to no grid: it cannot register agencies",
        )
    if agency_in.webhook_url is not None:
        check_webhook_url(targets=targets, url=str(agency_in.webhook_url))
    doc: Document = {
        "_id": new_id(),
        "name": agency_in.name,
        "kind": agency_in.kind.value,
        "categories": [category.value for category in agency_in.categories],
        "webhook_url": str(agency_in.webhook_url) if agency_in.webhook_url else None,
        "webhook_secret": new_webhook_secret(),
        "area_path": principal.scope[0],
        "created_at": utc_now(),
    }
    await repository.insert(db, doc)
    return to_read(doc, with_secret=True)


async def get(*, db: AsyncDatabase[Document], principal: Principal, agency_id: str) -> AgencyRead:
    """Return an agency to its own staff or to operators of its area (404 otherwise)."""
    doc = await repository.get(db, agency_id)
    allowed = doc is not None and (
        principal.agency_id == agency_id
        or (principal.has_role(Role.COUNTY_OPERATOR) and principal.covers(doc["area_path"]))
    )
    if doc is None or not allowed:
        raise not_found("外部单位", "Agency")
    return to_read(doc)


def concerns(agency: Document, category: str, grid_path: str) -> bool:
    """Tell whether a hazard of `category` at `grid_path` concerns `agency`."""
    return category in agency["categories"] and grid_path.startswith(agency["area_path"])
