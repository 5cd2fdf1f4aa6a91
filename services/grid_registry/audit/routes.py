"""HTTP route of the audit trail: who changed what, when, before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from services.grid_registry import targets
from services.grid_registry.access import admit
from services.grid_registry.audit import repository
from services.grid_registry.people import service as people
from shared.auth import CurrentUser
from shared.dependencies import Db
from shared.fields import Id
from shared.refs import PersonRef

router = APIRouter(prefix="/v1/audit", tags=["audit"])


class AuditRecord(BaseModel):
    """One change."""

    at: datetime
    actor: PersonRef | None
    action: str
    target_kind: str
    target_id: str
    before: Any
    after: Any


@router.get(
    "",
    dependencies=[admit("audit trail", "read")],
    response_model=list[AuditRecord],
    summary="The changes of a grid, risk point or person",
)
async def audit_trail(
    principal: CurrentUser,
    db: Db,
    target_kind: Annotated[Literal["grid", "point", "person"], Query()],
    target_id: Annotated[Id, Query()],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AuditRecord]:
    """Return the newest changes first (managers of the object's subtree only); a person's
    trail holds the locks of their login after repeated wrong passwords."""
    if target_kind == "person":
        await people.get(db=db, principal=principal, person_id=target_id)
    else:
        await targets.load(db, principal, target_kind, target_id)
    return [
        AuditRecord.model_validate(doc) for doc in await repository.for_target(db, target_id, limit)
    ]
