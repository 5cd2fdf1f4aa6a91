"""Reading and editing a school's duty lists (清单) per post; every edit is audited."""

from __future__ import annotations

from typing import Any

from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.grid_registry.audit import repository as audit
from services.grid_registry.duties.defaults import DEFAULT_DUTIES
from services.grid_registry.grids import service as grids
from shared.auth import Principal
from shared.clock import utc_now
from shared.errors import ApiError, field_error
from shared.vocabulary import GridLevel

COLLECTION = "duty_lists"
INDEXES = [IndexModel([("school_id", 1)], name="school")]
Document = dict[str, Any]


async def _school(db: AsyncDatabase[Document], principal: Principal, grid_id: str) -> Document:
    grid = await grids.get_in_scope(db=db, principal=principal, grid_id=grid_id)
    if grid["level"] != GridLevel.SCHOOL.value:
        raise field_error(
            "grid_id", "not_a_school", "岗位责任清单按学校设置", "Duty lists are kept per school"
        )
    return grid


async def lists(
    *, db: AsyncDatabase[Document], principal: Principal, grid_id: str
) -> dict[str, list[str]]:
    """Return a school's duty list per post: its own edits over the defaults."""
    await _school(db, principal, grid_id)
    own = {doc["post"]: doc["duties"] async for doc in db[COLLECTION].find({"school_id": grid_id})}
    return {**DEFAULT_DUTIES, **own}


async def set_list(
    *,
    db: AsyncDatabase[Document],
    principal: Principal,
    grid_id: str,
    post: str,
    duties: list[str],
) -> list[str]:
    """Replace the duty list of one post at one school."""
    await _school(db, principal, grid_id)
    key = f"{grid_id}:{post}"
    before = await db[COLLECTION].find_one({"_id": key})
    doc = {
        "_id": key,
        "school_id": grid_id,
        "post": post,
        "duties": duties,
        "updated_at": utc_now(),
        "updated_by": principal.user_id,
        "version": (before or {}).get("version", 0) + 1,
    }
    try:
        if before is None:
            await db[COLLECTION].insert_one(doc)
        else:
            result = await db[COLLECTION].replace_one(
                {"_id": key, "version": before["version"]}, doc
            )
            if result.modified_count != 1:
                raise DuplicateKeyError("changed meanwhile")
    except DuplicateKeyError:
        raise ApiError(
            409,
            "changed_meanwhile",
            "清单刚被他人修改，请刷新后重试",
            "Someone changed this list meanwhile; reload and try again",
        ) from None
    await audit.record(
        db,
        actor=principal,
        action="duty_list.set",
        target_kind="grid",
        target_id=grid_id,
        before={"post": post, "duties": (before or {}).get("duties", DEFAULT_DUTIES.get(post))},
        after={"post": post, "duties": duties},
    )
    return duties
