"""Login, callback, refresh and logout for the modes where the backend is the OAuth client.

Flow: the SPA navigates to GET /api/login -> we make state, nonce and a PKCE verifier, keep them
in a signed HttpOnly cookie and 302 to the IdP's authorize endpoint -> the IdP 302s back to
GET /api/oauth-callback?code&state -> we check state against the cookie, exchange the code
(server to server, with our client secret and the verifier) and keep the tokens: as HttpOnly
cookies (code-pkce-cookie) or in our database behind an opaque session cookie (bff).
No token and no verifier ever reaches JavaScript.
"""
from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from .auth import BffAuth, TokenAuth
from .config import ExampleConfig
from .cookies import (ACCESS_COOKIE, LOGIN_TX_COOKIE, REFRESH_COOKIE, SESSION_COOKIE, Signer, clear_cookie,
                      cookie_name, seconds_until, set_cookie)
from .errors import ApiError
from .jwt_verifier import JwtVerifier, TokenRejected
from .oauth_client import OAuthClient, TokenEndpointError, new_pkce_pair

log = logging.getLogger(__name__)

LOGIN_TX_TTL = 600  # seconds the user has to finish the IdP's login form
REFRESH_COOKIE_MAX_AGE = 30 * 24 * 3600  # the IdP decides the real lifetime; it may refuse earlier


def backend_router(cfg: ExampleConfig, oauth: OAuthClient, auth: TokenAuth | BffAuth, signer: Signer,
                   clock: Callable[[], float]) -> APIRouter:
    router = APIRouter()
    bff = isinstance(auth, BffAuth)
    verifier: JwtVerifier = auth.verifier

    def back_to_spa(error: str | None = None) -> RedirectResponse:
        # The SPA shows ?login_error=... in its event log; the value is one of our fixed codes.
        target = "/" + (f"?{urlencode({'login_error': error})}" if error else "")
        return RedirectResponse(target, status_code=303)

    def keep_tokens(response: Response, request: Request, tokens: dict[str, Any], claims: dict[str, Any]) -> None:
        refresh = tokens.get("refresh_token")
        if bff:
            assert isinstance(auth, BffAuth)
            auth.sessions.delete(auth.session_id(request))  # never reuse a pre-login session id
            session_id, _ = auth.sessions.create(claims["sub"], tokens["access_token"], refresh,
                                                 int(clock()) + REFRESH_COOKIE_MAX_AGE)
            set_cookie(response, cfg, SESSION_COOKIE, session_id, max_age=REFRESH_COOKIE_MAX_AGE)
            return
        set_cookie(response, cfg, ACCESS_COOKIE, tokens["access_token"], max_age=seconds_until(claims["exp"], clock()))
        if refresh:
            set_cookie(response, cfg, REFRESH_COOKIE, refresh, max_age=REFRESH_COOKIE_MAX_AGE)

    @router.get("/api/login")
    async def login() -> Response:
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        verifier_value, challenge = new_pkce_pair()
        response = RedirectResponse(oauth.authorize_url(state=state, nonce=nonce, code_challenge=challenge), 302)
        tx = signer.dumps({"state": state, "nonce": nonce, "verifier": verifier_value}, LOGIN_TX_TTL, clock())
        # Lax, not Strict: the callback is a top-level navigation coming back from the IdP, which
        # on a real deployment is another site; Strict cookies would not be sent with it.
        set_cookie(response, cfg, LOGIN_TX_COOKIE, tx, max_age=LOGIN_TX_TTL, samesite="lax")
        return response

    @router.get("/api/oauth-callback")
    async def oauth_callback(request: Request, code: str = "", state: str = "", error: str = "") -> Response:
        tx = signer.loads(request.cookies.get(cookie_name(cfg, LOGIN_TX_COOKIE)), clock())
        if error:
            response = back_to_spa("idp_error")
        elif tx is None or not state or not hmac.compare_digest(state.encode(), str(tx["state"]).encode()):
            response = back_to_spa("state_mismatch")
        elif not code:
            response = back_to_spa("missing_code")
        else:
            try:
                tokens = await oauth.exchange_code(code, tx["verifier"])
                claims = await verifier.verify(tokens["access_token"])
                if tokens.get("id_token"):
                    await verifier.verify(tokens["id_token"], nonce=tx["nonce"])
            except (TokenEndpointError, TokenRejected) as exc:
                log.warning("code exchange failed: %r", exc)
                response = back_to_spa("exchange_failed")
            else:
                response = back_to_spa()
                keep_tokens(response, request, tokens, claims)
        clear_cookie(response, cfg, LOGIN_TX_COOKIE, samesite="lax")  # single use, success or not
        return response

    @router.post("/api/refresh")
    async def refresh(request: Request) -> Response:
        """code-pkce-cookie: new access token from our refresh cookie. bff refreshes by itself on
        every call, so here it only reports whether the session is still alive."""
        await auth.check_csrf(request)
        if bff:
            claims = await auth.claims(request)
            return JSONResponse({"refreshed": True, "exp": claims["exp"]})
        refresh_token = request.cookies.get(cookie_name(cfg, REFRESH_COOKIE))
        if not refresh_token:
            raise ApiError(401, "invalid_grant", "No refresh token; log in again")
        try:
            tokens = await oauth.refresh(refresh_token)
            claims = await verifier.verify(tokens["access_token"])
        except (TokenEndpointError, TokenRejected) as exc:
            log.info("refresh failed: %r", exc)
            response = JSONResponse({"error": "invalid_grant", "error_description": "Refresh failed; log in again"},
                                    401)
            clear_cookie(response, cfg, ACCESS_COOKIE)
            clear_cookie(response, cfg, REFRESH_COOKIE)
            return response
        response = JSONResponse({"refreshed": True, "exp": claims["exp"]})
        keep_tokens(response, request, tokens, claims)
        return response

    @router.post("/api/logout")
    async def logout(request: Request) -> Response:
        await auth.check_csrf(request)
        if bff:
            assert isinstance(auth, BffAuth)
            session = auth.sessions.find(auth.session_id(request), clock())
            refresh_token = session.refresh_token if session else None
            auth.sessions.delete(auth.session_id(request))
        else:
            refresh_token = request.cookies.get(cookie_name(cfg, REFRESH_COOKIE))
        if refresh_token:
            await oauth.revoke(refresh_token)
        response = JSONResponse({"loggedOut": True, "idpLogoutUrl": oauth.logout_url()})
        for base in (ACCESS_COOKIE, REFRESH_COOKIE, SESSION_COOKIE):
            clear_cookie(response, cfg, base)
        return response

    return router
