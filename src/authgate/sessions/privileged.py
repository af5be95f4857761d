"""A privileged SSO session: one whose sign-in is recent enough for a change the session cookie
alone must not make (Ory Kratos's `privileged_session_max_age`, Keycloak's re-authentication for
sensitive actions). The change it guards: adding the first second factor to an account, where
there is no factor to ask for instead (mfa/fresh.py covers accounts that have one). Without the
rule, whoever copied the cookie adds their own authenticator app or passkey (which signs in
alone) and keeps the account, or locks the owner out.

Recent: the session's `auth_time` (the real sign-in, not its last use) is at most
`privileged_session_max_age_seconds` old. Older, the user signs in again with their password
(`reauthenticate`: the login's checks, lockout and events included), which starts a new session
under a new cookie: a copy of the old cookie stays as old as it was.
"""
from __future__ import annotations

import logging

from authgate import events
from authgate.accounts import LoginRefused, authenticate_logged, record_login
from authgate.clock import clock
from authgate.mfa import amr
from authgate.registry import Registry
from authgate.revocation import forget_session
from authgate.sessions import sso

log = logging.getLogger("authgate.sessions.privileged")
MAX_PASSWORD_CHARS = 1024  # as the login form's


class NoPassword(Exception):
    """The account has no password to sign in again with (made without one, signed in with a
    passkey since removed): it needs one first (forgot password)."""


def recent(reg: Registry, session: sso.SsoSession) -> bool:
    return int(clock.now()) - session.auth_time <= reg.settings.privileged_session_max_age_seconds


async def reauthenticate(reg: Registry, session: sso.SsoSession, password: str) -> tuple[sso.SsoSession, str]:
    """Sign the session's user in again with `password`: the new session (amr `pwd`, what was just
    proven) and its cookie value; the old session ends. Raises NoPassword, or LoginRefused (a
    wrong password counts toward the lockout and is recorded as a failed login, as at login)."""
    user = session.user
    login_id = user["doc"].get("email") or user["doc"].get("username")
    if not user.get("password_hash") or not login_id:
        raise NoPassword()
    if not password or len(password) > MAX_PASSWORD_CHARS:
        raise LoginRefused("bad_password", "empty or oversized password")
    checked = await authenticate_logged(reg, str(login_id), password, None)
    if checked["id"] != user["id"]:  # the login id moved to another account meanwhile
        raise LoginRefused("bad_password", f"login id of user {user['id']} now names {checked['id']}")
    checked = await record_login(reg, checked)
    await events.login_succeeded(reg, checked, None)
    await forget_session(reg, session.id)
    log.info("user %s signed in again for a privileged change", user["id"])
    return await sso.start(reg, checked, amr.PASSWORD)
