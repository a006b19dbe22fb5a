"""The wire-desk web page for editors: ``GET /desk`` and its assets under ``/desk/static/``.

The page is static: it holds no data and needs no credential. Its script reads the editor's
token from the page itself and calls only the JSON API, so everything an editor sees passes the
same authentication and filters as any other client. Guarantees:

* only the files named in ``ASSETS`` are ever served (anything else, including names that try to
  leave the folder, is a ``404`` problem), each with its own content type;
* every response carries a strict Content-Security-Policy (own assets only, no inline code, no
  ``<base>``, no form posted anywhere: the page's forms are handled by its script),
  ``X-Content-Type-Options: nosniff`` and no framing, so an item body that slipped through the
  server's sanitiser could still run nothing.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response

from shared.core.errors import NotFound

router = APIRouter(include_in_schema=False)

STATIC = Path(__file__).resolve().parent / "static"
PAGE = "desk.html"
ASSETS = {
    "desk.js": "text/javascript; charset=utf-8",
    "sse.js": "text/javascript; charset=utf-8",  # imported by desk.js: the stream's parser
    "desk.css": "text/css; charset=utf-8",
}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


@cache
def _read(name: str) -> bytes:
    """The bytes of one packaged file; callers pass only names from ``PAGE`` or ``ASSETS``."""
    return (STATIC / name).read_bytes()


@router.get("/desk")
def desk_page() -> Response:
    """The page itself, always HTML with the security headers."""
    return Response(_read(PAGE), media_type="text/html; charset=utf-8", headers=HEADERS)


@router.get("/desk/static/{name}")
def desk_asset(name: str) -> Response:
    """One allowlisted asset; any other name is a 404 and touches no file."""
    media_type = ASSETS.get(name)
    if media_type is None:
        raise NotFound(f"no desk asset {name!r}")
    return Response(_read(name), media_type=media_type, headers=HEADERS)
