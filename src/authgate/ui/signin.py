"""What every way of signing in on the hosted pages shares: the form's CSRF check, and the end of
a successful login (a fresh SSO session that records the factors used, then the authorize answer).
"""
from __future__ import annotations

from typing import Any

from fastapi.responses import Response

from authgate.accounts import login_completed
from authgate.oauth2.authorize.context import AuthorizeContext, ErrorPage
from authgate.oauth2.authorize.issue import issue
from authgate.revocation import forget_session
from authgate.sessions import sso
from authgate.ui import csrf, gated
from authgate.ui.answer import answer
from authgate.web import sso_cookies


def check_csrf(ctx: AuthorizeContext) -> None:
    why = csrf.refusal(ctx.request, ctx.reg.issuer, ctx.params.get(csrf.FIELD))
    if why is None:
        return
    if why == csrf.MISMATCH:
        raise ErrorPage("Your login form expired. Go back to the application and try again.", "login CSRF token mismatch", 403)
    raise ErrorPage("The login form was submitted from another site.", f"login POST with {why}", 403)


async def finish(ctx: AuthorizeContext, user: dict[str, Any], factors: tuple[str, ...]) -> Response:
    """Start an SSO session with `factors` (its `amr`), replacing the browser's old one, and
    answer the authorize request (303). An application that is `Gated` (ui/gated.py) first needs
    a verified email, whichever way the user signed in (password, second factor, passkey)."""
    if ctx.client is not None and await gated.must_verify_first(ctx.reg, ctx.client.app, user):
        return gated.page()
    user = await login_completed(ctx.reg, user, ctx.client.app["id"] if ctx.client else None)
    old = await sso_cookies.current(ctx.reg, ctx.request)
    if old is not None:
        await forget_session(ctx.reg, old.id)  # a new login replaces the browser's session
    session, cookie_value = await sso.start(ctx.reg, user, factors)
    response = answer(ctx, await issue(ctx, session))
    sso_cookies.set_cookie(ctx.reg, ctx.request, response, cookie_value)
    return response
