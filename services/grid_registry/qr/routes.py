"""HTTP routes of QR codes: issue, revoke, resolve, and the printable PNG and PDF labels."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from services.grid_registry.access import admit
from services.grid_registry.grids import service as grids
from services.grid_registry.qr import service
from services.grid_registry.qr.models import QrResolved, QrTokenRead
from services.grid_registry.qr.render import label_png, sheet_pdf
from services.grid_registry.risk_points.repository import COLLECTION as POINTS
from shared.auth import CurrentUser
from shared.dependencies import Db, Relay
from shared.fields import Id, Token

router = APIRouter(prefix="/v1", tags=["qr codes"])

PDF_LIMIT = 2_000  # labels per sheet request: a school prints its own, not a whole county


def _base_url(request: Request) -> str:
    return str(request.app.state.settings.qr_base_url)


@router.post(
    "/risk-points/{point_id}/qr",
    dependencies=[admit("QR codes", "manage")],
    response_model=QrTokenRead,
    summary="Issue the point's QR token (replace=true revokes the old one)",
)
async def issue_token(
    point_id: Id,
    request: Request,
    principal: CurrentUser,
    db: Db,
    relay: Relay,
    replace: Annotated[bool, Query()] = False,
) -> QrTokenRead:
    """Return the point's token, issuing one when there is none or when replacing."""
    issued = await service.issue(
        db=db, principal=principal, point_id=point_id, base_url=_base_url(request), replace=replace
    )
    relay.notify(POINTS, point_id)
    return issued


@router.delete(
    "/qr/{token}",
    dependencies=[admit("QR codes", "manage")],
    status_code=204,
    summary="Revoke a QR token",
)
async def revoke_token(token: Token, principal: CurrentUser, db: Db, relay: Relay) -> Response:
    """Revoke it: scanning it answers 404 from now on."""
    point_id = await service.revoke(db=db, principal=principal, token=token)
    relay.notify(POINTS, point_id)
    return Response(status_code=204)


@router.get(
    "/qr/{token}",
    dependencies=[admit("QR codes", "resolve")],
    response_model=QrResolved,
    summary="What a scanned QR code names (logged in)",
)
async def resolve_token(token: Token, principal: CurrentUser, db: Db) -> QrResolved:
    """Return the point, its grid, who answers for it now and its check list."""
    return await service.resolve(db=db, principal=principal, token=token)


@router.get(
    "/risk-points/{point_id}/qr.png",
    dependencies=[admit("QR codes", "manage")],
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
    summary="The point's printable QR label (PNG)",
)
async def label(
    point_id: Id, request: Request, principal: CurrentUser, db: Db, relay: Relay
) -> Response:
    """Render the label with the point's current token (issuing one if needed)."""
    point_label = await service.label_for(
        db=db, principal=principal, point_id=point_id, base_url=_base_url(request)
    )
    relay.notify(POINTS, point_id)
    image = await asyncio.to_thread(label_png, point_label)
    return Response(image, media_type="image/png")


@router.get(
    "/grids/{grid_id}/qr-sheet.pdf",
    dependencies=[admit("QR codes", "manage")],
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
    summary="A PDF of labels for every risk point under a grid, to print and stick up",
)
async def sheet(grid_id: Id, request: Request, principal: CurrentUser, db: Db) -> Response:
    """Render A4 pages of labels (tokens are issued for points that have none)."""
    grid = await grids.get_in_scope(db=db, principal=principal, grid_id=grid_id)
    labels = await service.labels_under(
        db=db, principal=principal, grid=grid, base_url=_base_url(request)
    )
    title = f"{grid['name']} 风险点二维码"
    pdf = await asyncio.to_thread(sheet_pdf, labels[:PDF_LIMIT], title=title)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": 'inline; filename="qr-sheet.pdf"'},
    )
