"""The SSO session's two cookies (sessions/sso.py says why two): read from a request, set on an
answer. The session itself is core; this is its HTTP side."""
from __future__ import annotations

from fastapi import Request, Response

from authgate.registry import Registry
from authgate.sessions import sso
from authgate.web import cookies

BROWSER_COOKIE_SECONDS = 400 * 24 * 3600  # the longest a browser keeps a cookie (RFC 6265bis 5.5)


async def current(reg: Registry, request: Request) -> sso.SsoSession | None:
    """The live session the request's cookies name, with its (still usable) user."""
    return await sso.find(reg, cookies.read(request, cookies.SSO), cookies.read(request, cookies.BROWSER))


def set_cookie(reg: Registry, request: Request, response: Response, value: str) -> None:
    session, browser = sso.cookie_values(value)
    cookies.set_cookie(request, response, cookies.SSO, session, max_age=reg.settings.sso_session_ttl_seconds)
    cookies.set_cookie(request, response, cookies.BROWSER, browser, max_age=BROWSER_COOKIE_SECONDS)
