"""The second-factor page of the hosted login: after the password, or inside an SSO session
when the application or `acr_values` asks for more than the session had (step-up).

The page offers what the user has: a code from their authenticator app, a passkey, a recovery
code. Every form carries the authorize parameters, the CSRF token and the `twoFactorId` of the
pending login (mfa/pending.py: expires, bound to the client, spent by success). A wrong code
shows the page again with the error beside the field; wrong codes count toward the lockout.
A user who has no second factor where one is required is sent to set one up.
"""
from __future__ import annotations

import json
import logging
from typing import Any

from fastapi.responses import Response

from authgate import events
from authgate.accounts import usable
from authgate.mfa import amr, factors, passkeys, pending
from authgate.oauth2.authorize.context import AuthorizeContext, ErrorPage
from authgate.ui import csrf
from authgate.ui.pages import render
from authgate.ui.signin import check_csrf, finish

log = logging.getLogger("authgate.ui.second_factor")

FIELD = "twoFactorId"
PASSKEY_FIELD = "webauthnResponse"
BAD_CODE = "That code is not valid. Check your authenticator app and try again."
BAD_PASSKEY = "That passkey could not be used. Try again or use a code."
LOCKED = "Your account is locked. After too many failed attempts, try again later; otherwise contact your administrator."
EXPIRED = "Your sign-in took too long or was already completed. Go back to the application and log in again."


def is_submission(ctx: AuthorizeContext) -> bool:
    return ctx.request.method == "POST" and FIELD in ctx.params.names()


def _label(user: dict[str, Any]) -> str:
    return str(user.get("email") or user.get("username") or "")


async def show(ctx: AuthorizeContext, user: dict[str, Any], two_factor_id: str, error: str | None = None,
               status: int = 200) -> Response:
    assert ctx.client is not None and ctx.redirect_uri is not None
    reg, token = ctx.reg, csrf.token(ctx.request)
    has_totp = bool(await reg.db.mfa_methods.for_user(user["id"]))
    keys = await passkeys.for_user(reg, user["id"])
    options = await passkeys.authentication_options(reg, user["id"], passwordless=False) if keys else None
    response = render("second_factor.html", status=status, form_targets=(ctx.redirect_uri,), scripts=bool(keys),
                      app_name=ctx.client.app["name"], user_label=_label(user), hidden=ctx.carried_params(),
                      csrf_token=token, two_factor_id=two_factor_id, error=error, has_totp=has_totp,
                      passkey_options=json.dumps(options) if options else None,
                      has_recovery=await reg.db.recovery_codes.remaining(user["id"]) > 0)
    csrf.set_cookie(ctx.request, response, token, "/oauth2/authorize")
    return response


async def begin(ctx: AuthorizeContext, user: dict[str, Any], so_far: tuple[str, ...]) -> Response:
    """Ask for a second factor on top of `so_far` (the factors already proven)."""
    assert ctx.client is not None
    if not await factors.has_any(ctx.reg, user["id"]):
        log.info("user %s has no second factor but %s requires one", user["id"], ctx.client.client_id)
        return render("mfa_required.html", status=403, app_name=ctx.client.app["name"])
    value = await pending.start(ctx.reg, user["id"], ctx.client.client_id, so_far, hosted=True)
    return await show(ctx, user, value)


async def _second_factor(ctx: AuthorizeContext, found: pending.Pending) -> tuple[str, ...] | str:
    """The factors the submission proved, or the message to show beside the field."""
    reg = ctx.reg
    raw = ctx.params.get(PASSKEY_FIELD)
    if raw is not None:
        try:
            asserted = await passkeys.authenticate(reg, json.loads(raw))
        except (ValueError, passkeys.PasskeyRefused) as exc:
            log.info("second-factor passkey refused for user %s: %s", found.user_id, exc)
            return BAD_PASSKEY
        if asserted.passkey.user_id != found.user_id:
            log.info("second-factor passkey of user %s offered for user %s", asserted.passkey.user_id, found.user_id)
            return BAD_PASSKEY
        return ("hwk", "user")
    try:
        await factors.check_code(reg, found.user_id, ctx.params.get("code") or "")
    except factors.Locked:
        await events.second_factor_failed(reg, found.user_id, found.application_id, "locked after too many failed logins")
        return LOCKED
    except factors.BadCode as exc:
        await events.second_factor_failed(reg, found.user_id, found.application_id, str(exc))
        return BAD_CODE
    return ("otp",)


async def submit(ctx: AuthorizeContext) -> Response:
    check_csrf(ctx)
    assert ctx.client is not None
    found = await pending.find(ctx.reg, ctx.params.get(FIELD), ctx.client.client_id)
    if found is None or not found.doc.get("hosted"):
        raise ErrorPage(EXPIRED, "second-factor POST with an unknown, expired, spent or other client's twoFactorId")
    user = await ctx.reg.db.users.get(found.user_id)
    if user is None or not usable(user):
        raise ErrorPage(EXPIRED, f"second factor for unusable user {found.user_id}")
    proved = await _second_factor(ctx, found)
    if isinstance(proved, str):
        return await show(ctx, user, found.value, proved, status=400)
    if not await pending.finish(ctx.reg, found):
        raise ErrorPage(EXPIRED, "twoFactorId spent concurrently")
    return await finish(ctx, user, amr.with_factor(found.amr, *proved))
