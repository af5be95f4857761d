"""Signing in with a passkey alone on the hosted login page ("Sign in with a passkey", or the
browser's autofill through conditional UI). The assertion must carry user verification (the
options ask for it), so the passkey is two factors in one: `amr` hwk, user, mfa."""
from __future__ import annotations

import json
import logging

from fastapi.responses import Response

from authgate.accounts import usable
from authgate.mfa import amr, passkeys
from authgate.oauth2.authorize.context import AuthorizeContext
from authgate.ui import login
from authgate.ui.second_factor import FIELD as TWO_FACTOR_FIELD
from authgate.ui.second_factor import PASSKEY_FIELD
from authgate.ui.signin import check_csrf, finish

log = logging.getLogger("authgate.ui.passkey_login")
REFUSED = "That passkey could not be used to sign in. Try again or use your password."


def is_submission(ctx: AuthorizeContext) -> bool:
    # A value, not the name: a client that posts every field of the page sends it empty.
    return (ctx.request.method == "POST" and TWO_FACTOR_FIELD not in ctx.params.names()
            and ctx.params.get(PASSKEY_FIELD) is not None)


async def submit(ctx: AuthorizeContext) -> Response:
    check_csrf(ctx)
    assert ctx.client is not None
    try:
        asserted = await passkeys.authenticate(ctx.reg, json.loads(ctx.params.get(PASSKEY_FIELD) or ""))
    except (ValueError, passkeys.PasskeyRefused) as exc:
        log.info("passkey sign-in refused: %s", exc)
        return await login.show(ctx, REFUSED, status=400)
    user = await ctx.reg.db.users.get(asserted.passkey.user_id)
    if user is None or not usable(user) or not asserted.user_verified:
        log.info("passkey sign-in refused: user %s unusable or not verified", asserted.passkey.user_id)
        return await login.show(ctx, REFUSED, status=400)
    return await finish(ctx, user, amr.passkey_alone(True))
