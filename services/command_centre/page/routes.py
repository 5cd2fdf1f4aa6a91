"""The live page of the command centre (served at /), and its static files."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.command_centre.access import admit

STATIC_DIR = Path(__file__).parent / "static"

router = APIRouter(include_in_schema=False)


@router.get("/", dependencies=[admit("page", "read")], response_class=HTMLResponse)
async def index(request: Request) -> HTMLResponse:
    """Return the page, with where to log in and how often to refresh."""
    settings = request.app.state.settings
    config = json.dumps(
        {
            "tokenUrl": settings.token_url,
            "refreshMs": int(settings.refresh_seconds * 1000),
            "casesUrl": settings.cases_public_url.rstrip("/"),
            "mediaUrl": settings.media_public_url.rstrip("/"),
        }
    )
    html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    return HTMLResponse(html.replace("/*CONFIG*/{}", config), headers={"Cache-Control": "no-store"})
