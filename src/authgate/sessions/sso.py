"""The SSO session: one server-side row per browser login, named by the HttpOnly `fusionauth.sso`
cookie on the IdP origin (SameSite=Lax so top-level navigations from the applications carry it).

The cookie holds a random value; only its digest is stored. The row's `id` is the `sid` claim
and `auth_instant` the real login time (`auth_time`, OpenID Connect Core 2).
"""
from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response

from authgate.accounts import usable
from authgate.clock import clock
from authgate.mfa import amr
from authgate.oauth2.grants.revoke import revocation_ttl
from authgate.registry import Registry
from authgate.web import cookies

log = logging.getLogger("authgate.sso")
MAX_COOKIE_CHARS = 128


@dataclass(frozen=True)
class SsoSession:
    row: dict[str, Any]
    user: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.row["id"])

    @property
    def auth_time(self) -> int:
        return int(self.row["auth_instant"] // 1000)

    @property
    def amr(self) -> tuple[str, ...]:
        """The factors the login used (RFC 8176), see authgate/mfa/amr.py."""
        return amr.parse(self.row.get("amr"))


async def current(reg: Registry, request: Request) -> SsoSession | None:
    """The live session named by the request's cookie, with its (still active) user."""
    value = request.cookies.get(cookies.SSO)
    if not value or len(value) > MAX_COOKIE_CHARS:
        return None
    row = await reg.db.sso_sessions.find_live(value)
    if row is None:
        return None
    user = await reg.db.users.get(row["user_id"])
    if not usable(user):
        return None  # deactivated or expired since the login: the session no longer counts
    return SsoSession(row, user)


async def start(reg: Registry, user: dict[str, Any], factors: tuple[str, ...] = amr.PASSWORD) -> tuple[SsoSession, str]:
    """A new session for a user who just logged in with `factors`; returns it and the cookie value to set."""
    value = secrets.token_urlsafe(32)
    row = await reg.db.sso_sessions.create(str(uuid.uuid4()), value, user["id"], clock.now_ms(),
                                           reg.settings.sso_session_ttl_seconds, amr.dump(factors))
    return SsoSession(row, user), value


def set_cookie(reg: Registry, request: Request, response: Response, value: str) -> None:
    cookies.set_cookie(request, response, cookies.SSO, value, max_age=reg.settings.sso_session_ttl_seconds)


async def end(reg: Registry, session_id: str) -> None:
    """Logout: the session, its refresh tokens, and the access tokens carrying its `sid` stop working."""
    await reg.db.sso_sessions.revoke(session_id)
    revoked = await reg.db.refresh_tokens.revoke_for_session(session_id)
    await reg.db.revoked_grants.revoke(session_id, revocation_ttl(reg))
    log.info("sso session %s ended, %d refresh tokens revoked", session_id, revoked)
