"""The page's files and its config: which files make the app shell, and what the page is told."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from services.hazard_intake.config import Settings
from services.hazard_intake.mobile.models import CategoryOption, MobileConfig
from services.hazard_intake.reports.models import MAX_PHOTOS, ReportCreate
from shared.vocabulary import CATEGORY_LABELS

STATIC_DIR = Path(__file__).parent / "static"

# Every file of the app shell (served under /m/) and its media type. Only these are served,
# so no request path ever reaches the file system.
ASSETS: dict[str, str] = {
    "app.js": "text/javascript; charset=utf-8",
    "api.js": "text/javascript; charset=utf-8",
    "auth.js": "text/javascript; charset=utf-8",
    "i18n.js": "text/javascript; charset=utf-8",
    "outbox.js": "text/javascript; charset=utf-8",
    "photos.js": "text/javascript; charset=utf-8",
    "queues.js": "text/javascript; charset=utf-8",
    "scanner.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
    "manifest.webmanifest": "application/manifest+json",
    "icon.svg": "image/svg+xml",
    "icon-maskable.svg": "image/svg+xml",
}
PAGE = "index.html"
# The module worker (offline copy and Background Sync), the classic fallback, and the offline
# copy they share, which is filled in with this version and the files it keeps.
WORKERS = ("sw.js", "sw-classic.js")
WORKER_CACHE = "sw-cache.js"


@cache
def shell_version() -> str:
    """Return a short hash of the page, its worker and assets (new files, new offline cache)."""
    digest = hashlib.sha256()
    for name in sorted([PAGE, *WORKERS, WORKER_CACHE, *ASSETS]):
        digest.update(name.encode())
        digest.update((STATIC_DIR / name).read_bytes())
    return digest.hexdigest()[:12]


def shell_urls() -> list[str]:
    """Return the URLs the service worker keeps for offline use (the page and its files)."""
    return ["/m/", "/m/config.json", *(f"/m/{name}" for name in ASSETS)]


def page_html() -> str:
    """Return the page (the same for /m/ and for /q/{token}; the script reads the token)."""
    return (STATIC_DIR / PAGE).read_text(encoding="utf-8")


def worker_script(name: str) -> str:
    """Return a service worker script; the offline copy's with this version and its files."""
    script = (STATIC_DIR / name).read_text(encoding="utf-8")
    if name != WORKER_CACHE:
        return script
    return script.replace('"__VERSION__"', f'"{shell_version()}"').replace(
        '["__SHELL__"]', "[" + ", ".join(f'"{url}"' for url in shell_urls()) + "]"
    )


def build_config(settings: Settings) -> MobileConfig:
    """Return what the page needs: the other services' public URLs and the report's limits."""
    description = ReportCreate.model_json_schema()["properties"]["description"]
    registry = settings.registry_public_url.rstrip("/")
    return MobileConfig(
        version=shell_version(),
        registry_url=registry,
        token_url=f"{registry}/v1/auth/token",
        media_url=settings.media_public_url.rstrip("/"),
        categories=[
            CategoryOption(value=category, label_zh=zh, label_en=en)
            for category, (zh, en) in CATEGORY_LABELS.items()
        ],
        max_photos=MAX_PHOTOS,
        description_min_length=description["minLength"],
        description_max_length=description["maxLength"],
    )
