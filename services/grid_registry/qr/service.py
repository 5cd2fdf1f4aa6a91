"""Issuing, revoking and resolving the QR tokens stuck on risk points, and their label sheets.

A token is random (not derived from the point), so it cannot be guessed; revoking it (a label
was torn off, photographed, or the point moved) stops it resolving at once. Every change of a
point's token is announced (RiskPointChanged with the token's SHA-256, never the token), in the
same document write, so intake can check patrol scans without asking the registry.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.grid_registry.audit import repository as audit
from services.grid_registry.qr import repository
from services.grid_registry.qr.models import QrResolved, QrTokenRead
from services.grid_registry.qr.render import QrLabel
from services.grid_registry.responsibility import service as responsibility
from services.grid_registry.risk_points import repository as points
from services.grid_registry.risk_points import service as risk_points
from shared.auth import Principal
from shared.clock import utc_now
from shared.errors import ApiError, not_found
from shared.outbox import push_outbox

Document = dict[str, Any]

MAX_ATTEMPTS = 3  # a point changed meanwhile for another reason (an assignment): read again


def url_for(base_url: str, token: str) -> str:
    """Return what the printed QR code encodes."""
    return f"{base_url.rstrip('/')}/{token}"


def _changed_meanwhile() -> ApiError:
    return ApiError(
        409,
        "changed_meanwhile",
        "二维码刚被他人更换，请刷新",
        "The QR code was just replaced; reload",
    )


async def _point_to(
    db: AsyncDatabase[Document], place: responsibility.Place, token: str | None
) -> bool:
    """Give the point `token` (None: none) and announce it, in one document write.

    The version goes up and RiskPointChanged (with the token's digest) goes into the point's
    outbox, so intake learns of the token without ever seeing it. Returns False, writing
    nothing, when the point changed since `place` was read.
    """
    point = place.point
    assert point is not None
    now = utc_now()
    version = int(point["version"]) + 1
    after = {**point, "qr_token": token, "version": version, "updated_at": now}
    event = risk_points.announcement(responsibility.Place(after, place.grids), now)
    result = await db[points.COLLECTION].update_one(
        {"_id": point["_id"], "version": point["version"], "qr_token": point.get("qr_token")},
        {"$set": {"qr_token": token, "version": version, "updated_at": now}, **push_outbox(event)},
    )
    return result.modified_count == 1


async def issue(
    *,
    db: AsyncDatabase[Document],
    principal: Principal,
    point_id: str,
    base_url: str,
    replace: bool,
) -> QrTokenRead:
    """Return the point's token, issuing one if it has none (or if `replace`, revoking the old).

    The caller notifies the outbox relay for the point (a new token is announced).
    """
    place = await risk_points.get_in_scope(db=db, principal=principal, point_id=point_id)
    assert place.point is not None
    old = place.point.get("qr_token")
    if old and not replace:
        return QrTokenRead(point_id=point_id, token=old, url=url_for(base_url, old))
    token = secrets.token_urlsafe(18)
    await repository.insert(
        db,
        {
            "_id": token,
            "point_id": point_id,
            "grid_path": place.point["grid_path"],
            "created_at": utc_now(),
            "created_by": principal.user_id,
            "revoked_at": None,
        },
    )
    written = False
    for _ in range(MAX_ATTEMPTS):
        if written := await _point_to(db, place, token):
            break
        place = await risk_points.get_in_scope(db=db, principal=principal, point_id=point_id)
        assert place.point is not None
        if place.point.get("qr_token") != old:  # someone else issued one meanwhile
            break
    if not written:
        await repository.revoke(db, token)
        raise _changed_meanwhile()
    if old:
        await repository.revoke(db, old)
    await audit.record(
        db,
        actor=principal,
        action="qr.issued",
        target_kind="point",
        target_id=point_id,
        before={"token_tail": old[-4:] if old else None},
        after={"token_tail": token[-4:]},
    )
    return QrTokenRead(point_id=point_id, token=token, url=url_for(base_url, token))


async def revoke(*, db: AsyncDatabase[Document], principal: Principal, token: str) -> str:
    """Revoke a token of the caller's subtree so that it no longer resolves; return its point.

    The point forgets the token (announced, so intake stops accepting it) before the token
    record is marked revoked: a crash in between leaves a record that a retry still finds.
    """
    record = await repository.get(db, token)
    if (
        record is None
        or record["revoked_at"] is not None
        or not principal.covers(record["grid_path"])
    ):
        raise not_found("二维码", "QR code")
    point_id = str(record["point_id"])
    for _ in range(MAX_ATTEMPTS):
        place = await responsibility.load_point_place(db, point_id)
        if place is None or place.point is None or place.point.get("qr_token") != token:
            break  # the point carries another token (or none) already
        if await _point_to(db, place, None):
            break
    else:
        raise ApiError(
            409,
            "changed_meanwhile",
            "该风险点刚被他人修改，请重试",
            "The risk point was just changed; try again",
        )
    await repository.revoke(db, token)
    await audit.record(
        db,
        actor=principal,
        action="qr.revoked",
        target_kind="point",
        target_id=point_id,
        before={"token_tail": token[-4:]},
        after=None,
    )
    return point_id


async def resolve(*, db: AsyncDatabase[Document], principal: Principal, token: str) -> QrResolved:
    """Return the point a token names, and who answers for it now (404 if unknown or revoked)."""
    record = await repository.get(db, token)
    if (
        record is None
        or record["revoked_at"] is not None
        or not principal.covers(record["grid_path"])
    ):
        raise not_found("二维码", "QR code")
    place = await responsibility.load_point_place(db, record["point_id"])
    if place is None or place.point is None:
        raise not_found("二维码", "QR code")
    point = place.point
    answer = responsibility.answer(place, utc_now())
    return QrResolved(
        point_id=point["_id"],
        point_name=point["name"],
        category=point["category"],
        risk_grade=point["risk_grade"],
        grid_id=point["grid_id"],
        grid_name=place.grids[0]["name"] if place.grids else "",
        school_name=answer.school_name,
        responsible=answer.responsible.person,
        check_items=point.get("check_items", []),
    )


def _label(place: responsibility.Place, url: str) -> QrLabel:
    assert place.point is not None
    return QrLabel(
        point_name=place.point["name"],
        school_name=responsibility.answer(place, utc_now()).school_name or "",
        grid_name=place.grids[0]["name"] if place.grids else "",
        risk_grade=place.point["risk_grade"],
        payload=url,
    )


async def label_for(
    *, db: AsyncDatabase[Document], principal: Principal, point_id: str, base_url: str
) -> QrLabel:
    """Return the label of one point with its current token (issuing one if needed)."""
    token = await issue(
        db=db, principal=principal, point_id=point_id, base_url=base_url, replace=False
    )
    place = await risk_points.get_in_scope(db=db, principal=principal, point_id=point_id)
    return _label(place, token.url)


async def labels_under(
    *, db: AsyncDatabase[Document], principal: Principal, grid: Document, base_url: str
) -> list[QrLabel]:
    """Return the labels of every risk point under a grid, issuing tokens where missing."""
    under = {"$regex": "^" + re.escape(grid["path"])}
    found = [doc async for doc in db[points.COLLECTION].find({"grid_path": under}, {"outbox": 0})]
    labels = []
    for point in sorted(found, key=lambda p: (p["grid_path"], p["name"])):
        token = (
            point.get("qr_token")
            or (
                await issue(
                    db=db,
                    principal=principal,
                    point_id=point["_id"],
                    base_url=base_url,
                    replace=False,
                )
            ).token
        )
        place = await responsibility.load_place(db, point["grid_path"], point)
        labels.append(_label(place, url_for(base_url, token)))
    return labels
