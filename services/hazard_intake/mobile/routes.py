"""The phone page: /m/ (the app), /q/{token} (what printed QR codes open), its files and config."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from services.hazard_intake.access import admit
from services.hazard_intake.mobile import service
from services.hazard_intake.mobile.models import MobileConfig
from shared.errors import not_found

router = APIRouter(tags=["phone page"])

# The service worker keeps its own copy for offline use; the browser revalidates each time.
REVALIDATE = {"Cache-Control": "no-cache"}


def _page() -> HTMLResponse:
    return HTMLResponse(service.page_html(), headers=REVALIDATE)


@router.get("/m", dependencies=[admit("phone page", "read")], include_in_schema=False)
async def app_without_slash() -> RedirectResponse:
    """Send /m to /m/, where the page and its service worker live."""
    return RedirectResponse("/m/", status_code=308)


@router.get(
    "/m/",
    dependencies=[admit("phone page", "read")],
    response_class=HTMLResponse,
    include_in_schema=False,
)
async def app_page() -> HTMLResponse:
    """Return the page."""
    return _page()


@router.get(
    "/q/{token}",
    dependencies=[admit("phone page", "read")],
    response_class=HTMLResponse,
    include_in_schema=False,
)
async def qr_page(token: str) -> HTMLResponse:
    """Return the page for a scanned QR code; the page reads the token from its address."""
    return _page()


@router.get(
    "/m/config.json",
    dependencies=[admit("phone page", "read")],
    response_model=MobileConfig,
    summary="Where the phone page finds the registry and media storage, and the categories",
)
async def page_config(request: Request, response: Response) -> MobileConfig:
    """Return the page's settings (public URLs of the other services, categories, limits)."""
    response.headers.update(REVALIDATE)
    return service.build_config(request.app.state.settings)


@router.get("/m/sw.js", dependencies=[admit("phone page", "read")], include_in_schema=False)
@router.get("/m/sw-classic.js", dependencies=[admit("phone page", "read")], include_in_schema=False)
@router.get("/m/sw-cache.js", dependencies=[admit("phone page", "read")], include_in_schema=False)
async def service_worker(request: Request) -> Response:
    """Return a service worker script, allowed to control /q/ pages as well as /m/."""
    name = request.url.path.rsplit("/", 1)[-1]
    return Response(
        service.worker_script(name),
        media_type="text/javascript; charset=utf-8",
        headers={**REVALIDATE, "Service-Worker-Allowed": "/"},
    )


@router.get("/m/{name}", dependencies=[admit("phone page", "read")], include_in_schema=False)
async def asset(name: str) -> FileResponse:
    """Return one of the page's files (only those listed; nothing else is reachable)."""
    media_type = service.ASSETS.get(name)
    if media_type is None:
        raise not_found("文件", "File")
    return FileResponse(service.STATIC_DIR / name, media_type=media_type, headers=REVALIDATE)
