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


def is_https(request: Request) -> bool:
    # The scope's scheme is what `request.url.scheme` reports, without building the whole URL.
    # Behind a TLS-terminating proxy it is https only if that proxy is trusted (web/proxy.py).
    return request.scope.get("scheme") == "https"


_PLAIN = re.compile(r"[A-Za-z0-9._~-]*")


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None) -> None:
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
    response.delete_cookie(name, path="/", httponly=True, samesite="lax", secure=is_https(request))
