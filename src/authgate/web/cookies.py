"""The IdP's cookies: HttpOnly, SameSite=Lax, Path=/, no Domain (host-only), Secure over https.

WORKFLOWS.md's measured table explains the choice: host-only cookies on idp.authgate.localhost
are same-site for the demo apps' credentialed fetches yet never reach their backends.
"""
from __future__ import annotations

import re

from fastapi import Request, Response

ACCESS_TOKEN = "access_token"
REFRESH_TOKEN = "refresh_token"
SSO = "fusionauth.sso"
NAMES = (ACCESS_TOKEN, REFRESH_TOKEN, SSO)
_CHECKED = "authgate.cross_site_checked"  # set by web/cross_site.guard


def _require_cross_site_check(request: Request) -> None:
    """A JSON endpoint that sets our cookies must have refused cross-site forms and no-cors fetches
    first (web/cross_site.py); a new endpoint that forgets fails here, in its first test."""
    if request.scope["path"].startswith("/api/") and not request.scope.get(_CHECKED):
        raise RuntimeError(f"{request.scope['path']} sets a cookie without web.cross_site.guard")


def is_https(request: Request) -> bool:
    # The scope's scheme is what `request.url.scheme` reports, without building the whole URL.
    return request.scope.get("scheme") == "https" or request.headers.get("x-forwarded-proto", "") == "https"


_PLAIN = re.compile(r"[A-Za-z0-9._~-]*")


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None) -> None:
    _require_cross_site_check(request)
    if not _PLAIN.fullmatch(value):
        response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="lax", secure=is_https(request))
        return
    # Tokens (base64url, JWT) need no quoting: the header Starlette's `set_cookie` would write,
    # without `http.cookies`' per-attribute formatting (~20 us a cookie on the refresh path).
    header = f"{name}={value}; HttpOnly; " + (f"Max-Age={max_age}; " if max_age is not None else "") + "Path=/; SameSite=lax"
    if is_https(request):
        header += "; Secure"
    response.raw_headers.append((b"set-cookie", header.encode("latin-1")))


def clear_cookie(request: Request, response: Response, name: str) -> None:
    _require_cross_site_check(request)
    response.delete_cookie(name, path="/", httponly=True, samesite="lax", secure=is_https(request))
