"""The hosted login page: shown by /oauth2/authorize, posted back to it (FusionAuth's shape).

The form repeats the authorize parameters as hidden fields, so the POST is validated by the same
step table as the GET. CSRF: see ui/csrf.py.
Bad credentials get one message whether the user exists or not; lockout (409) comes from the core
`authenticate()`, shared with /api/login.
"""
from __future__ import annotations

import logging

from fastapi.responses import Response

from authgate.errors import ApiError
from authgate.fusionauth.login import authenticate_logged, record_login
from authgate.oauth2.authorize.context import AuthorizeContext, ErrorPage
from authgate.oauth2.authorize.issue import issue
from authgate.sessions import sso
from authgate.lifecycle.app_settings import registration_form
from authgate.ui import csrf, gated
from authgate.ui.forms import with_params
from authgate.ui.pages import render

log = logging.getLogger("authgate.ui.login")

LOGIN_FIELDS = ("loginId", "password", csrf.FIELD)
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
    token = csrf.token(ctx.request)
    carried = ctx.carried_params()
    # Account lifecycle links (ui/password.py, ui/register.py), carrying the authorize request back.
    can_register = registration_form(ctx.client.app["doc"]).enabled
    response = render("login.html", status=status, form_targets=(ctx.redirect_uri,), app_name=ctx.client.app["name"],
                      hidden=carried, csrf_token=token, error=error,
                      login_id=login_id if login_id is not None else (ctx.login_hint or ""),
                      forgot_url=with_params("/password/forgot", carried),
                      register_url=with_params("/oauth2/register", carried) if can_register else None)
    csrf.set_cookie(ctx.request, response, token, "/oauth2/authorize")
    return response


def _check_csrf(ctx: AuthorizeContext) -> None:
    why = csrf.refusal(ctx.request, ctx.reg.issuer, ctx.params.get(csrf.FIELD))
    if why is None:
        return
    if why == csrf.MISMATCH:
        raise ErrorPage("Your login form expired. Go back to the application and try again.", "login CSRF token mismatch", 403)
    raise ErrorPage("The login form was submitted from another site.", f"login POST with {why}", 403)


async def submit(ctx: AuthorizeContext) -> Response:
    """Check CSRF and credentials, start an SSO session, answer the authorize request (303)."""
    _check_csrf(ctx)
    login_id = ctx.params.get("loginId") or ""
    password = ctx.params.get("password") or ""
    if not login_id or not password or len(login_id) > MAX_LOGIN_ID_CHARS or len(password) > MAX_PASSWORD_CHARS:
        return show(ctx, BAD_CREDENTIALS, login_id[:MAX_LOGIN_ID_CHARS])
    try:
        user = await authenticate_logged(ctx.reg, login_id, password, ctx.client.app["id"] if ctx.client else None)
    except ApiError as exc:
        log.info("hosted login refused (%s): %s", exc.status, exc.detail)
        return show(ctx, MESSAGES.get(exc.status, BAD_CREDENTIALS), login_id)
    if ctx.client is not None and await gated.must_verify_first(ctx.reg, ctx.client.app, user):
        return gated.page()
    user = await record_login(ctx.reg, user)
    old = await sso.current(ctx.reg, ctx.request)
    if old is not None:
        await ctx.reg.db.sso_sessions.revoke(old.id)  # a new login replaces the browser's session
    session, cookie_value = await sso.start(ctx.reg, user)
    response = await issue(ctx, session)
    sso.set_cookie(ctx.reg, ctx.request, response, cookie_value)
    return response
