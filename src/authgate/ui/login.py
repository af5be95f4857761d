"""The hosted login page: shown by /oauth2/authorize, posted back to it (FusionAuth's shape).

The form repeats the authorize parameters as hidden fields, so the POST is validated by the same
step table as the GET. CSRF: a random token in an HttpOnly, SameSite=Strict cookie must equal the
form's hidden `csrf_token` (double submit), and a cross-origin `Origin` header or a
`Sec-Fetch-Site` other than `same-origin` is refused.
`Origin: null` (what Chromium sends from a `Referrer-Policy: no-referrer` page) is treated as
unknown: a cross-site POST still fails, because the Strict cookie is not sent with it.
Bad credentials get one message whether the user exists or not; lockout (409) comes from the core
`authenticate()`, shared with /api/login.
"""
from __future__ import annotations

import hmac
import logging
import secrets

from fastapi.responses import Response

from authgate.errors import ApiError
from authgate.fusionauth.login import authenticate, record_login
from authgate.oauth2.authorize.context import AuthorizeContext, ErrorPage
from authgate.oauth2.authorize.issue import issue
from authgate.sessions import sso
from authgate.ui.pages import origin_of, render
from authgate.web.cookies import is_https

log = logging.getLogger("authgate.ui.login")

CSRF_COOKIE = "authgate.csrf"
LOGIN_FIELDS = ("loginId", "password", "csrf_token")
MAX_LOGIN_ID_CHARS = 320
MAX_PASSWORD_CHARS = 1024

BAD_CREDENTIALS = "Invalid login credentials."
MESSAGES = {
    409: "Your account is temporarily locked after too many failed login attempts. Try again later.",
    410: "Your account has expired.",
    423: "Your account is locked. Contact your administrator.",
}


def is_login_submission(ctx: AuthorizeContext) -> bool:
    return ctx.request.method == "POST" and bool(ctx.params.names() & set(LOGIN_FIELDS))


def show(ctx: AuthorizeContext, error: str | None = None, login_id: str | None = None, status: int = 200) -> Response:
    assert ctx.client is not None and ctx.redirect_uri is not None
    token = ctx.request.cookies.get(CSRF_COOKIE) or ""
    if len(token) != 43:
        token = secrets.token_urlsafe(32)
    response = render("login.html", status=status, form_targets=(ctx.redirect_uri,), app_name=ctx.client.app["name"],
                      hidden=ctx.carried_params(), csrf_token=token, error=error,
                      login_id=login_id if login_id is not None else (ctx.login_hint or ""))
    response.set_cookie(CSRF_COOKIE, token, path="/oauth2/authorize", httponly=True, samesite="strict",
                        secure=is_https(ctx.request))
    return response


def _check_csrf(ctx: AuthorizeContext) -> None:
    # Fetch metadata: our own form's POST is same-origin whatever its referrer policy. A sibling
    # subdomain (same site) can plant the CSRF cookie and send Origin: null, but its browser
    # still says `same-site` here (Chromium, Firefox, Safari 16.4+).
    site = ctx.request.headers.get("sec-fetch-site")
    if site is not None and site != "same-origin":
        raise ErrorPage("The login form was submitted from another site.", f"login POST with Sec-Fetch-Site {site[:30]!r}", 403)
    origin = ctx.request.headers.get("origin")
    if origin not in (None, "null") and origin != origin_of(ctx.reg.issuer):
        raise ErrorPage("The login form was submitted from another site.", f"login POST with Origin {origin[:100]!r}", 403)
    cookie = ctx.request.cookies.get(CSRF_COOKIE) or ""
    field = ctx.params.get("csrf_token") or ""
    if not cookie or not hmac.compare_digest(cookie.encode(), field.encode()):
        raise ErrorPage("Your login form expired. Go back to the application and try again.", "login CSRF token mismatch", 403)


async def submit(ctx: AuthorizeContext) -> Response:
    """Check CSRF and credentials, start an SSO session, answer the authorize request (303)."""
    _check_csrf(ctx)
    login_id = ctx.params.get("loginId") or ""
    password = ctx.params.get("password") or ""
    if not login_id or not password or len(login_id) > MAX_LOGIN_ID_CHARS or len(password) > MAX_PASSWORD_CHARS:
        return show(ctx, BAD_CREDENTIALS, login_id[:MAX_LOGIN_ID_CHARS])
    try:
        user = await authenticate(ctx.reg, login_id, password)
    except ApiError as exc:
        log.info("hosted login refused (%s): %s", exc.status, exc.detail)
        return show(ctx, MESSAGES.get(exc.status, BAD_CREDENTIALS), login_id)
    user = await record_login(ctx.reg, user)
    old = await sso.current(ctx.reg, ctx.request)
    if old is not None:
        await ctx.reg.db.sso_sessions.revoke(old.id)  # a new login replaces the browser's session
    session, cookie_value = await sso.start(ctx.reg, user)
    response = await issue(ctx, session)
    sso.set_cookie(ctx.reg, ctx.request, response, cookie_value)
    return response
