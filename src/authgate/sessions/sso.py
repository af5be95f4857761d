"""The SSO session: one server-side row per browser login, named by the HttpOnly `fusionauth.sso`
cookie on the IdP origin (SameSite=Lax so top-level navigations from the applications carry it).
Core: no HTTP here -- the cookies are read and set by web/sso_cookies.py; ended by
revocation.end_session.

The cookie holds a random value; only its digest is stored. The row's `id` is the `sid` claim
and `auth_instant` the real login time (`auth_time`, OpenID Connect Core 2).

Binding (issue 15, finding 3): a page on a sibling subdomain can plant cookies for the parent
domain. Had it planted the attacker's own session cookie, the victim's next login at an
application would have come back as the attacker. So a session is named by *two* host-only
cookies, `fusionauth.sso` and the long-lived `fusionauth.browser` (kept across logouts), and the
stored digest covers both: a planted session cookie is useless without its browser cookie, and
planting that one too collides with the victim's own, which web/cookie_planting.py refuses
(two cookies of one name). Over https both names carry `__Host-`, which a sibling cannot set at
all. What remains over plain http: a browser that never logged in here (no browser cookie yet).
"""
from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from authgate.accounts import usable
from authgate.clock import clock
from authgate.mfa import amr
from authgate.registry import Registry

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


async def find(reg: Registry, session_cookie: str | None, browser_cookie: str | None) -> SsoSession | None:
    """The live session named by the two cookie values, with its (still usable) user."""
    if not session_cookie or not browser_cookie or len(session_cookie) > MAX_COOKIE_CHARS \
            or len(browser_cookie) > MAX_COOKIE_CHARS:
        return None
    row = await reg.db.sso_sessions.find_live(f"{session_cookie}.{browser_cookie}")
    if row is None:
        return None
    user = await reg.db.users.get(row["user_id"])
    if not usable(user):
        return None  # deactivated or expired since the login: the session no longer counts
    return SsoSession(row, user)


async def start(reg: Registry, user: dict[str, Any], factors: tuple[str, ...] = amr.PASSWORD) -> tuple[SsoSession, str]:
    """A new session for a user who just logged in with `factors`; returns it and the cookie value
    to set (web/sso_cookies.set_cookie: the session cookie and the browser cookie, joined by a dot)."""
    value = f"{secrets.token_urlsafe(32)}.{secrets.token_urlsafe(16)}"
    row = await reg.db.sso_sessions.create(str(uuid.uuid4()), value, user["id"], clock.now_ms(),
                                           reg.settings.sso_session_ttl_seconds, amr.dump(factors))
    return SsoSession(row, user), value


def cookie_values(value: str) -> tuple[str, str]:
    """What `start` returned, split into the session cookie's and the browser cookie's values."""
    session, browser = value.split(".", 1)
    return session, browser
