"""Requests a cross-site form or a `no-cors` fetch can make never read or set our cookies.

A page on another origin -- even a sibling subdomain, which is *same-site*, so SameSite=Lax
cookies go with its requests -- can send, without a CORS preflight, only "simple" requests: a
form (`text/plain`, urlencoded, multipart) or `fetch(..., {mode: 'no-cors'})` with such a type
or none at all (a Blob body). The pen-tester used exactly those to log a victim's browser in to
the attacker's account at /api/login (login CSRF) and out at /api/logout (forced logout).

So every JSON endpoint that sets our cookies, or is called with them, requires:
1. `Content-Type: application/json` (or `+json`) *present*, and a non-empty body: a simple
   request cannot send that type, a cross-origin page that tries gets a preflight, and the CORS
   middleware answers only the applications' registered origins;
2. the browser's word on where the request comes from (Fetch Metadata, RFC 6454 `Origin`): no
   `Origin` (not a browser, or same-origin navigation) with a `Sec-Fetch-Site` of `same-origin`
   or `none` (or none at all), our own origin, or an origin an application registered
   (`authorizedOriginURLs`: the native-refresh-cookie SPA calls /api/login, /api/jwt/refresh and
   /api/logout with credentials from there). `Origin: null` and any other origin are refused.
Server-to-server calls carry no cookies of ours and need no Origin.
"""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

from fastapi import Request

from authgate.errors import ApiError
from authgate.web import cookies
from authgate.web.errors import is_json_content_type

log = logging.getLogger("authgate.cross_site")
CHECKED = "authgate.cross_site_checked"  # scope key: web/cookies.py refuses to set a cookie on /api without it

NOT_JSON = ApiError(400, general_errors=[{"code": "[invalid]contentType",
                                          "message": "The request body must be JSON (Content-Type: application/json)."}])
EMPTY = ApiError(400, general_errors=[{"code": "[invalid]request", "message": "The request body must be a JSON object."}])
FOREIGN = ApiError(403, general_errors=[{"code": "[Forbidden]", "message": "This request must come from an allowed origin."}])


def origin_of(uri: str) -> str:
    """scheme://host[:port] of a URL: what browsers send as `Origin` and compare origins by."""
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"


async def guard(request: Request, *, sets_cookies: bool) -> None:
    """Refuse (400/403) what a cross-site form or no-cors fetch could have sent, when this request
    sets our cookies or arrives with them; otherwise (an API client without cookies) do nothing."""
    request.scope[CHECKED] = True
    if not (sets_cookies or cookies.carries_any(request)):
        return
    declared = request.headers.get("content-type")
    if declared is None or not is_json_content_type(declared):
        log.info("refused %s without a JSON content type (%r)", request.url.path, (declared or "")[:60])
        raise NOT_JSON
    if not (await request.body()).strip():
        log.info("refused %s with an empty body", request.url.path)
        raise EMPTY
    why = await _foreign(request)
    if why is not None:
        log.warning("refused cross-site %s: %s", request.url.path, why)
        raise FOREIGN


async def _foreign(request: Request) -> str | None:
    origin = request.headers.get("origin")
    site = request.headers.get("sec-fetch-site")
    if origin is None:
        return None if site in (None, "same-origin", "none") else f"Sec-Fetch-Site {site[:30]!r} without Origin"
    if origin == origin_of(request.app.state.registry.issuer):
        return None
    if origin != "null" and await request.app.state.origins.allowed(origin):
        return None
    return f"Origin {origin[:100]!r}"
