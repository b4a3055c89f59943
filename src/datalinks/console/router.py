"""Serves the console's static files at /console.

The console is plain HTML, CSS and ES modules shipped inside the package: no build step, no
server-side state. It talks to the same public API as the SDK, with a token the browser keeps
in session storage, so these routes need no token and stay out of the OpenAPI document.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse

from datalinks.core.errors import NotFound

STATIC_DIR = Path(__file__).resolve().parent / "static"
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
# The console loads nothing from elsewhere and runs no inline script: a stray string from the
# API that ended up as markup could not run. frame-ancestors keeps it out of other sites' frames.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # Files change with the installed version; revalidating is cheap and never serves stale JS.
    "Cache-Control": "no-cache",
}

router = APIRouter(include_in_schema=False)


def _file(relative: str) -> FileResponse:
    path = (STATIC_DIR / relative).resolve()
    media_type = MEDIA_TYPES.get(path.suffix)
    # Only files of the console itself: no `..` escapes, no directories, no odd file types.
    if media_type is None or not path.is_relative_to(STATIC_DIR) or not path.is_file():
        raise NotFound(f"No console file {relative!r}")
    return FileResponse(path, media_type=media_type, headers=HEADERS)


@router.get("/console")
async def console_page() -> FileResponse:
    return _file("index.html")


@router.get("/console/")
async def console_slash() -> RedirectResponse:
    # Relative, so it stays right behind a proxy that mounts the service under a prefix.
    return RedirectResponse("../console", status_code=308)


@router.get("/console/{relative:path}")
async def console_file(relative: str) -> FileResponse:
    return _file(relative)
