"""The hosted login page: shown by /oauth2/authorize, posted back to it (FusionAuth's shape).

The form repeats the authorize parameters as hidden fields, so the POST is validated by the same
step table as the GET. CSRF: see ui/csrf.py.
Bad credentials get one message whether the user exists or not; lockout (409) comes from the core
`authenticate()`, shared with /api/login. A user with a second factor (or an application that
requires one) continues on the second-factor page (ui/second_factor.py); a passkey can also sign
in alone (ui/passkey_login.py).
"""
from __future__ import annotations

import json
import logging

from fastapi.responses import Response

from authgate.accounts import LoginRefused, authenticate_logged
from authgate.mfa import amr, factors, passkeys
from authgate.oauth2.authorize.context import AuthorizeContext
from authgate.lifecycle.app_settings import registration_form
from authgate.ui import csrf, gated, second_factor
from authgate.ui.forms import with_params
from authgate.ui.pages import render
from authgate.ui.signin import check_csrf, finish

log = logging.getLogger("authgate.ui.login")

LOGIN_FIELDS = ("loginId", "password", csrf.FIELD)
MAX_LOGIN_ID_CHARS = 320
MAX_PASSWORD_CHARS = 1024

BAD_CREDENTIALS = "Invalid login credentials."
MESSAGES = {  # by LoginRefused.reason; an unknown user and a wrong password both get BAD_CREDENTIALS
    # One text for a lockout after failed attempts (it ends) and an administrator's lock (it does
    # not): telling them apart would say to anyone typing the login id which accounts exist.
    "locked": "Your account is locked. After too many failed attempts, try again later; otherwise contact your administrator.",
    "expired": "Your account has expired.",
    "inactive": "Your account is locked. Contact your administrator.",
}


def is_login_submission(ctx: AuthorizeContext) -> bool:
    return ctx.request.method == "POST" and bool(ctx.params.names() & set(LOGIN_FIELDS))


async def show(ctx: AuthorizeContext, error: str | None = None, login_id: str | None = None,
               status: int = 200) -> Response:
    """The login form, with "Sign in with a passkey" and conditional UI (`autocomplete="username
    webauthn"`) driven by ui/static/webauthn.js from options made for this page."""
    assert ctx.client is not None and ctx.redirect_uri is not None
    token = csrf.token(ctx.request)
    carried = ctx.carried_params()
    options = await passkeys.authentication_options(ctx.reg, None, passwordless=True)
    # Account lifecycle links (ui/password.py, ui/register.py), carrying the authorize request back.
    can_register = registration_form(ctx.client.app["doc"]).enabled
    response = render("login.html", status=status, form_targets=(ctx.redirect_uri,), app_name=ctx.client.app["name"],
                      hidden=carried, csrf_token=token, error=error, scripts=True,
                      passkey_options=json.dumps(options),
                      login_id=login_id if login_id is not None else (ctx.login_hint or ""),
                      forgot_url=with_params("/password/forgot", carried),
                      register_url=with_params("/oauth2/register", carried) if can_register else None)
    csrf.set_cookie(ctx.request, response, token, "/oauth2/authorize")
    return response


async def submit(ctx: AuthorizeContext) -> Response:
    """Check CSRF and credentials; then the second-factor page when one is needed
    (mfa/policy.py), else start an SSO session and answer the authorize request (303)."""
    check_csrf(ctx)
    login_id = ctx.params.get("loginId") or ""
    password = ctx.params.get("password") or ""
    if not login_id or not password or len(login_id) > MAX_LOGIN_ID_CHARS or len(password) > MAX_PASSWORD_CHARS:
        return await show(ctx, BAD_CREDENTIALS, login_id[:MAX_LOGIN_ID_CHARS])
    assert ctx.client is not None
    try:
        user = await authenticate_logged(ctx.reg, login_id, password, ctx.client.app["id"])
    except LoginRefused as exc:
        log.info("hosted login refused (%s): %s", exc.reason, exc.detail)
        return await show(ctx, MESSAGES.get(exc.reason, BAD_CREDENTIALS), login_id)
    if await gated.must_verify_first(ctx.reg, ctx.client.app, user):  # before asking for a second factor
        return gated.page()
    if await factors.second_factor_needed(ctx.reg, user["id"], ctx.client.app, ctx.acr_values):
        return await second_factor.begin(ctx, user, amr.PASSWORD)
    return await finish(ctx, user, amr.PASSWORD)
