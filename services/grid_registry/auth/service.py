"""Logging in: check a password and describe the user as a token principal."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.grid_registry.auth.passwords import DUMMY_HASH, verify_password
from services.grid_registry.grids import repository as grids
from services.grid_registry.people import repository as people
from shared.auth import Principal
from shared.vocabulary import Role

# The scope of a platform administrator: every tree.
ALL_GRIDS = "/"


async def authenticate(
    db: AsyncDatabase[dict[str, Any]], username: str, password: str
) -> Principal | None:
    """Return the principal of valid credentials, or None."""
    account = await people.get_account(db, username)
    if account is None:
        verify_password(password, DUMMY_HASH)
        return None
    if not verify_password(password, account["password_hash"]):
        return None
    return await principal_of(db, account)


async def principal_of(db: AsyncDatabase[dict[str, Any]], account: dict[str, Any]) -> Principal:
    """Describe an account as the principal its tokens carry."""
    person = await people.get_person(db, account["person_id"]) or {}
    scope: tuple[str, ...] = ()
    if account.get("platform_admin"):
        scope = (ALL_GRIDS,)
    elif person.get("grid_id"):
        grid = await grids.get(db, person["grid_id"])
        scope = (grid["path"],) if grid else ()
    return Principal(
        user_id=account["person_id"],
        username=account["_id"],
        name=person.get("name", account["_id"]),
        roles=frozenset(Role(role) for role in account.get("roles", [])),
        scope=scope,
        agency_id=account.get("agency_id"),
    )
