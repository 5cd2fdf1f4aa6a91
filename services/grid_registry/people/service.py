"""Registering people at grids, with an optional login."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.grid_registry.auth.passwords import hash_password
from services.grid_registry.grids import repository as grids
from services.grid_registry.people import repository
from services.grid_registry.people.models import PersonCreate, PersonRead
from shared.auth import Principal
from shared.clock import utc_now
from shared.errors import ApiError, field_error, not_found
from shared.ids import new_id
from shared.vocabulary import Role

Document = dict[str, Any]

# Which roles a manager may hand out: never more than their own.
GRANTABLE = {
    Role.COUNTY_OPERATOR: {Role.COUNTY_OPERATOR, Role.SCHOOL_HEAD, Role.TEACHER, Role.AGENCY},
    Role.SCHOOL_HEAD: {Role.SCHOOL_HEAD, Role.TEACHER},
}


def to_read(doc: Document) -> PersonRead:
    """Shape a person document for clients."""
    return PersonRead(
        person_id=doc["_id"],
        name=doc["name"],
        grid_id=doc["grid_id"],
        post=doc["post"],
        phone=doc.get("phone"),
        username=doc.get("username"),
        created_at=doc["created_at"],
    )


def _check_agency_tie(role: Role, agency_id: str | None) -> None:
    """An agency login must name its agency (its tokens carry it); no other login may."""
    if role == Role.AGENCY and agency_id is None:
        raise field_error(
            "account.agency_id",
            "missing",
            "外部单位账号须指定所属单位（agency_id）",
            "An agency login must name its agency (agency_id)",
        )
    if role != Role.AGENCY and agency_id is not None:
        raise field_error(
            "account.agency_id",
            "not_allowed",
            "只有外部单位账号可以指定所属单位",
            "Only agency logins name an agency",
        )


async def create(
    *, db: AsyncDatabase[Document], principal: Principal, person_in: PersonCreate
) -> PersonRead:
    """Register a person at a grid of the caller's subtree, with their login if given."""
    grid = await grids.get(db, person_in.grid_id)
    if grid is None or not principal.covers(grid["path"]):
        raise field_error("grid_id", "not_found", "网格不存在", "Grid not found")
    person_id = new_id()
    doc: Document = {
        "_id": person_id,
        "name": person_in.name,
        "grid_id": person_in.grid_id,
        "post": person_in.post,
        "phone": person_in.phone,
        "username": None,
        "created_at": utc_now(),
    }
    account = person_in.account
    if account is not None:
        allowed = set().union(*(GRANTABLE.get(role, set()) for role in principal.roles))
        if account.role not in allowed:
            raise field_error(
                "account.role", "forbidden", "无权授予该角色", "You may not grant this role"
            )
        _check_agency_tie(account.role, account.agency_id)
        try:
            await repository.insert_account(
                db,
                {
                    "_id": account.username,
                    "person_id": person_id,
                    "password_hash": hash_password(account.password),
                    "roles": [account.role.value],
                    "created_at": doc["created_at"],
                    **({"agency_id": account.agency_id} if account.agency_id else {}),
                },
            )
        except DuplicateKeyError:
            raise ApiError(
                409, "username_taken", "用户名已被占用", "This username is already taken"
            ) from None
        doc["username"] = account.username
    await repository.insert_person(db, doc)
    return to_read(doc)


async def get(*, db: AsyncDatabase[Document], principal: Principal, person_id: str) -> PersonRead:
    """Return a person registered in the caller's subtree (404 otherwise)."""
    doc = await repository.get_person(db, person_id)
    grid = await grids.get(db, doc["grid_id"]) if doc else None
    if doc is None or grid is None or not principal.covers(grid["path"]):
        raise not_found("人员", "Person")
    return to_read(doc)
