"""Who is calling? Two answers, one interface.

`TokenAuth` (implicit-*, native-refresh-cookie, code-pkce-cookie): the caller presents the JWT,
as `Authorization: Bearer` or in our HttpOnly cookie, and we verify it locally.
`BffAuth` (bff): the caller presents an opaque session cookie; the JWT is in our database and
we refresh it with the IdP ourselves when it expires.
"""
from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from typing import Any

from fastapi import Request

from .bff_sessions import SessionStore
from .config import ExampleConfig
from .cookies import ACCESS_COOKIE, SESSION_COOKIE, cookie_name
from .errors import ApiError, not_logged_in
from .jwt_verifier import JwtVerifier, TokenRejected
from .oauth_client import OAuthClient, TokenEndpointError
from .security import require_same_origin

log = logging.getLogger(__name__)


class TokenAuth:
    def __init__(self, cfg: ExampleConfig, verifier: JwtVerifier) -> None:
        self.cfg = cfg
        self.verifier = verifier

    def token_from(self, request: Request) -> str | None:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        return request.cookies.get(cookie_name(self.cfg, ACCESS_COOKIE)) or None

    async def claims(self, request: Request) -> dict[str, Any]:
        """Claims of a valid JWT; raises a 401 (bare challenge, or invalid_token) otherwise."""
        token = self.token_from(request)
        if token is None:
            raise not_logged_in()
        return await self.verifier.verify(token)

    async def extra_user_fields(self, request: Request) -> dict[str, Any]:
        return {}

    async def check_csrf(self, request: Request) -> None:
        require_same_origin(request, self.cfg)


class BffAuth:
    def __init__(self, cfg: ExampleConfig, verifier: JwtVerifier, sessions: SessionStore, oauth: OAuthClient,
                 clock: Callable[[], float]) -> None:
        self.cfg = cfg
        self.verifier = verifier
        self.sessions = sessions
        self.oauth = oauth
        self.clock = clock

    def session_id(self, request: Request) -> str | None:
        return request.cookies.get(cookie_name(self.cfg, SESSION_COOKIE))

    async def claims(self, request: Request) -> dict[str, Any]:
        session_id = self.session_id(request)
        session = self.sessions.find(session_id, self.clock())
        if session is None or session_id is None:
            raise not_logged_in()
        try:
            return await self.verifier.verify(session.access_token)
        except TokenRejected as exc:
            if not exc.expired or not session.refresh_token:
                raise
        # The access token expired: refresh it here, where the refresh token lives.
        try:
            tokens = await self.oauth.refresh(session.refresh_token)
            claims = await self.verifier.verify(tokens["access_token"])
        except (TokenEndpointError, TokenRejected) as exc:
            log.info("bff refresh failed, ending session: %r", exc)
            self.sessions.delete(session_id)
            raise ApiError(401, "invalid_token", "Your session ended; log in again",
                           {"WWW-Authenticate": 'Bearer error="invalid_token"'}) from exc
        self.sessions.update_tokens(session_id, tokens["access_token"], tokens.get("refresh_token"))
        return claims

    async def extra_user_fields(self, request: Request) -> dict[str, Any]:
        session = self.sessions.find(self.session_id(request), self.clock())
        return {"csrfToken": session.csrf_token} if session else {}

    async def check_csrf(self, request: Request) -> None:
        """Origin check plus a synchronizer token: the page got it from /api/user and echoes it
        in X-CSRF-Token; another origin can neither read it nor set a custom header cross-origin
        without a CORS preflight we never answer."""
        require_same_origin(request, self.cfg)
        session = self.sessions.find(self.session_id(request), self.clock())
        sent = request.headers.get("x-csrf-token", "")
        if session is None:
            raise not_logged_in()
        if not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
            raise ApiError(403, "csrf_rejected", "Missing or wrong X-CSRF-Token header")
