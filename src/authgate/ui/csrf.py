"""CSRF protection for the IdP's own forms (the login form, the logout confirmation).

Double submit: a random token in an HttpOnly, SameSite=Strict cookie, scoped to the form's path,
must equal the form's hidden `csrf_token`. On top, the browser's own word on where the POST came
from: a cross-origin `Origin` is refused, and so is a `Sec-Fetch-Site` other than `same-origin`.
`Origin: null` (what Chromium sends from our `Referrer-Policy: no-referrer` pages) is treated as
unknown: a cross-site POST still fails, because the Strict cookie is not sent with it; a page on
a sibling subdomain, which could plant the cookie, is refused by `Sec-Fetch-Site: same-site`
(Chromium, Firefox, Safari 16.4+).
"""
from __future__ import annotations

import hmac
import secrets

from fastapi import Request
from fastapi.responses import Response

from authgate.web.cookies import is_https
from authgate.web.cross_site import origin_of

COOKIE = "authgate.csrf"
FIELD = "csrf_token"
MISMATCH = "CSRF token mismatch"  # the one refusal a real user meets (a form left open too long)


def token(request: Request) -> str:
    """The browser's current token, or a new one."""
    current = request.cookies.get(COOKIE) or ""
    return current if len(current) == 43 else secrets.token_urlsafe(32)


def set_cookie(request: Request, response: Response, value: str, path: str) -> None:
    response.set_cookie(COOKIE, value, path=path, httponly=True, samesite="strict", secure=is_https(request))


def foreign_origin(request: Request, issuer: str) -> str | None:
    """What the browser says about a POST from another origin (for the log), or None.
    Also used by the admin console, whose token lives in its server-side session instead."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site != "same-origin":
        return f"Sec-Fetch-Site {site[:30]!r}"
    origin = request.headers.get("origin")
    if origin not in (None, "null") and origin != origin_of(issuer):
        return f"Origin {origin[:100]!r}"
    return None


def refusal(request: Request, issuer: str, field: str | None) -> str | None:
    """Why this form POST is not ours (for the log), or None."""
    foreign = foreign_origin(request, issuer)
    if foreign is not None:
        return foreign
    cookie = request.cookies.get(COOKIE) or ""
    if not cookie or not hmac.compare_digest(cookie.encode(), (field or "").encode()):
        return MISMATCH
    return None
