"""The operator dashboard: one HTML page and its script and style, served from the package as they are.

The page holds no data and no secret: it asks for a client id and secret, gets a token from
`/oauth/token` and calls the API from the browser. Every URL it uses is relative to where it is
served, so it works under an API Gateway stage prefix. The Content-Security-Policy allows only the
page's own origin: no inline script or style, no other host.
"""
from __future__ import annotations

import functools
from pathlib import Path

from chalice import Response

from chalicelib.exceptions import RecordNotFoundError
from chalicelib.jsonapi import error_response

HERE = Path(__file__).parent
PAGE = "index.html"
# asset name -> media type; only these files are served
ASSETS = {"app.js": "text/javascript; charset=utf-8", "app.css": "text/css; charset=utf-8",
          "schedules.js": "text/javascript; charset=utf-8"}
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",  # a redeploy's page and script are seen together
}


@functools.cache
def _read(name: str) -> str:
    return (HERE / name).read_text(encoding="utf-8")


def _served(name: str, media_type: str) -> Response:
    return Response(body=_read(name), status_code=200, headers={"Content-Type": media_type, **SECURITY_HEADERS})


def page() -> Response:
    """`GET /dashboard`: the page itself, the same for everyone (no login on load)."""
    return _served(PAGE, "text/html; charset=utf-8")


def asset(name: str) -> Response:
    """`GET /dashboard/{name}`: the page's script or style; any other name is a JSON:API 404."""
    if name not in ASSETS:
        error = RecordNotFoundError(f"No dashboard asset named {name[:64]}", parameter="asset")
        return error_response(error, content_type="application/json")
    return _served(name, ASSETS[name])
