"""`GET/POST /oauth2/authorize`: validate (oauth2/authorize/steps.py), then log in (hosted page)
or answer at once from the SSO session (OpenID Connect Core 3.1.2.3). It lives with the hosted
pages it shows (login, second factor, passkey), over the protocol modules of oauth2/authorize."""
from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import Response

from authgate.clock import clock
from authgate.errors import InteractionRequired, LoginRequired, OAuthError
from authgate.oauth2 import params as oauth_params
from authgate.oauth2.authorize.context import AUTHORIZE_PARAMS, AuthorizeContext, ErrorPage
from authgate.oauth2.authorize.issue import issue
from authgate.oauth2.authorize.steps import validate
from authgate.mfa import factors
from authgate.shapes import Shape, form_body
from authgate.ui import gated, login, passkey_login, second_factor
from authgate.ui.answer import answer
from authgate.ui.pages import error_page
from authgate.web import sso_cookies
from authgate.web.context import registry

router = APIRouter()
log = logging.getLogger("authgate.authorize")

# What the request and the hosted pages posted back to it may carry: the authorization request
# (RFC 6749 4.1.1, RFC 7636, OpenID Connect Core 3.1.2.1), the login form, the second-factor form
# and a passkey's answer. Every step reads its parameters through this declaration.
AUTHORIZE_FORM = Shape({**{name: str for name in (*AUTHORIZE_PARAMS, *login.LOGIN_FIELDS)},
                        second_factor.FIELD: str, "code": str, second_factor.PASSKEY_FIELD: str},
                       description="The authorization request's parameters, with the hosted login's fields when it posts back.")


async def _interact(ctx: AuthorizeContext) -> Response:
    """Section 3.1.2.3: reuse the SSO session unless prompt=login or max_age asks for a fresh
    login, or the session lacks a second factor the application or `acr_values` requires
    (step-up: the second-factor page, without the password again)."""
    assert ctx.client is not None
    session = await sso_cookies.current(ctx.reg, ctx.request)
    fresh_login_needed = session is None or "login" in ctx.prompt or (
        ctx.max_age is not None and clock.now() - session.auth_time > ctx.max_age)
    if not fresh_login_needed:
        assert session is not None
        if ctx.client is not None and await gated.must_verify_first(ctx.reg, ctx.client.app, session.user):
            return gated.page()  # a session from an application that let the unverified user in
        step_up = "mfa" not in session.amr and await factors.second_factor_needed(
            ctx.reg, session.user["id"], ctx.client.app, ctx.acr_values)
        if not step_up:
            return answer(ctx, await issue(ctx, session))
        if "none" in ctx.prompt:
            raise InteractionRequired("The user must confirm a second factor.", detail="prompt=none, step-up needed")
        return await second_factor.begin(ctx, session.user, session.amr)
    if "none" in ctx.prompt:
        raise LoginRequired("The user must log in.", detail="prompt=none without a usable session")
    return await login.show(ctx)


def _error_redirect(ctx: AuthorizeContext, exc: OAuthError) -> Response:
    """RFC 6749 section 4.1.2.1: error, error_description and state go back to the verified redirect URI."""
    values: dict[str, str | int] = {"error": exc.error}
    if exc.description:
        values["error_description"] = exc.description
    if ctx.state is not None:
        values["state"] = ctx.state
    values["iss"] = ctx.reg.issuer
    return answer(ctx, values)


@router.get("/oauth2/authorize")
@router.post("/oauth2/authorize", openapi_extra=form_body(AUTHORIZE_FORM))
async def authorize(request: Request) -> Response:
    reg = registry(request)
    ctx: AuthorizeContext | None = None
    try:
        ctx = AuthorizeContext(reg, request, await oauth_params.read(request, declared=AUTHORIZE_FORM))
        await validate(ctx)
        if second_factor.is_submission(ctx):  # before the password form: all carry csrf_token
            return await second_factor.submit(ctx)
        if passkey_login.is_submission(ctx):
            return await passkey_login.submit(ctx)
        if login.is_login_submission(ctx):
            return await login.submit(ctx)
        return await _interact(ctx)
    except ErrorPage as exc:
        log.info("authorize refused on the IdP: %s", exc.detail)
        return error_page(exc.message, exc.status)
    except OAuthError as exc:
        log.info("authorize error %s: %s", exc.error, exc.detail or exc.description)
        if ctx is None or ctx.redirect_uri is None:
            return error_page("The authorization request is invalid.")
        return _error_redirect(ctx, exc)
