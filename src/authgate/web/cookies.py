"""The IdP's cookies: HttpOnly, SameSite=Lax, Path=/, no Domain (host-only), Secure over https.

WORKFLOWS.md's measured table explains the choice: host-only cookies on idp.authgate.localhost
are same-site for the demo apps' credentialed fetches yet never reach their backends.

Over https every name carries the `__Host-` prefix (RFC 6265bis section 4.1.3.2): the browser
then accepts the cookie only if it is Secure, Path=/ and without Domain, so a page on a sibling
subdomain (which may set `Domain=<parent>` cookies) cannot plant one of ours. Over plain http
(the demo on *.authgate.localhost) there is no such guarantee; web/cookie_planting.py refuses
a request carrying two cookies of one of our names, and sessions/sso.py binds the SSO session
to a second cookie. Always read and write these cookies through `read` / `set_cookie`.
"""
from __future__ import annotations

import re

from fastapi import Request, Response

ACCESS_TOKEN = "access_token"
REFRESH_TOKEN = "refresh_token"
SSO = "fusionauth.sso"
BROWSER = "fusionauth.browser"  # binds the SSO session to this browser: sessions/sso.py
NAMES = (ACCESS_TOKEN, REFRESH_TOKEN, SSO, BROWSER)
HOST_PREFIX = "__Host-"
_CHECKED = "authgate.cross_site_checked"  # set by web/cross_site.guard


def is_https(request: Request) -> bool:
    # The scope's scheme is what `request.url.scheme` reports, without building the whole URL.
    # Behind a TLS-terminating proxy it is https only if that proxy is trusted (web/proxy.py).
    return request.scope.get("scheme") == "https"


def name(request: Request, base: str) -> str:
    """The cookie's name on this request: `__Host-<base>` over https, `<base>` over http."""
    return HOST_PREFIX + base if is_https(request) else base


def read(request: Request, base: str) -> str | None:
    return request.cookies.get(name(request, base))


def carries_any(request: Request) -> bool:
    return any(name(request, base) in request.cookies for base in NAMES)


def _require_cross_site_check(request: Request) -> None:
    """A JSON endpoint that sets our cookies must have refused cross-site forms and no-cors fetches
    first (web/cross_site.py); a new endpoint that forgets fails here, in its first test."""
    if request.scope["path"].startswith("/api/") and not request.scope.get(_CHECKED):
        raise RuntimeError(f"{request.scope['path']} sets a cookie without web.cross_site.guard")


_PLAIN = re.compile(r"[A-Za-z0-9._~-]*")


def set_cookie(request: Request, response: Response, base: str, value: str, max_age: int | None) -> None:
    _require_cross_site_check(request)
    secure = is_https(request)
    cookie = name(request, base)
    if not _PLAIN.fullmatch(value):
        response.set_cookie(cookie, value, max_age=max_age, path="/", httponly=True, samesite="lax", secure=secure)
        return
    # Tokens (base64url, JWT) need no quoting: the header Starlette's `set_cookie` would write,
    # without `http.cookies`' per-attribute formatting (~20 us a cookie on the refresh path).
    header = f"{cookie}={value}; HttpOnly; " + (f"Max-Age={max_age}; " if max_age is not None else "") + "Path=/; SameSite=lax"
    if secure:
        header += "; Secure"
    response.raw_headers.append((b"set-cookie", header.encode("latin-1")))


def clear_cookie(request: Request, response: Response, base: str) -> None:
    _require_cross_site_check(request)
    response.delete_cookie(name(request, base), path="/", httponly=True, samesite="lax", secure=is_https(request))
