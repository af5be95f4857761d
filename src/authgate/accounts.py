"""Whether a user may get tokens, at all and for one application: one rule (`token_refusal`) for
every path that issues them -- code exchange, refresh (both APIs), SSO re-use and the implicit
answer of /oauth2/authorize, the password grant, /api/login, userinfo.

FusionAuth's `oauthConfiguration.requireRegistration`: when true, a user must be registered for
the application to get its tokens (issue 15 finding 4). New applications get it on unless they
set it (applications.py); a stored application without the key keeps FusionAuth's
default, off. /api/login is stricter by its own contract: with an `applicationId` and no
registration it answers 202 without a token whatever the flag says.
"""
from __future__ import annotations

from typing import Any

from authgate import events, lock_state, lockout
from authgate.clock import clock
from authgate.registry import Registry
from authgate.storage.repos.login_failures import NOBODY


class LoginRefused(Exception):
    """Credentials refused. `reason`: not_found | bad_password (adapters must answer these two
    alike: no user enumeration) | locked (too many failed logins, or an administrator's lock) |
    inactive | expired. `detail` is for logs only."""

    def __init__(self, reason: str, detail: str | None = None, event_reason: str | None = None) -> None:
        super().__init__(detail or reason)
        self.reason, self.detail, self.event_reason = reason, detail or reason, event_reason


# For operators (the `user.login.failed` event), never for the client.
_EVENT_REASONS = {"not_found": "invalid credentials", "bad_password": "invalid credentials",
                  "locked": "locked after too many failed logins", "expired": "user expired",
                  "inactive": "user deactivated"}


def expired(user: dict[str, Any]) -> bool:
    """FusionAuth's `user.expiry` (epoch ms) has passed."""
    expiry = user["doc"].get("expiry")
    return isinstance(expiry, int) and expiry <= clock.now_ms()


def usable(user: dict[str, Any] | None) -> bool:
    return user is not None and bool(user["active"]) and not expired(user)


def registration_required(app: dict[str, Any] | None) -> bool:
    """The application's `oauthConfiguration.requireRegistration` (absent: false, FusionAuth's default)."""
    return app is not None and (app["doc"].get("oauthConfiguration") or {}).get("requireRegistration") is True


def token_refusal(user: dict[str, Any] | None, app: dict[str, Any] | None,
                  registration: dict[str, Any] | None) -> str | None:
    """Why `user` may not get tokens for `app` (None: a token without an application), or None
    if they may. Reasons, for logs: gone | inactive | expired | application_inactive | not_registered."""
    if user is None:
        return "gone"
    if not user["active"]:
        return "inactive"
    if expired(user):
        return "expired"
    if app is not None and not app["active"]:
        return "application_inactive"
    if registration is None and registration_required(app):
        return "not_registered"
    return None


async def authenticate(reg: Registry, login_id: str, password: str) -> dict[str, Any]:
    """Check credentials with lockout: the user, or `LoginRefused`. The one check behind
    /api/login, the hosted login page and the password grant."""
    user = await reg.db.users.find_by_login_id(login_id)
    # The guess is counted before the hash, for unknown login ids too (authgate/lockout.py): the
    # lock answers alike whether the account exists, and bounds guesses however requests arrive.
    reservation = await lockout.reserve(reg, lockout.owner(user["id"] if user else None, login_id))
    if not reservation.allowed:
        raise LoginRefused("locked", "too many failed logins from this address (or for this account)")
    # An administrator's lock and the second factor's lockout (login_failures); the same read for
    # a login id nobody has, and the same argon2 cost: no timing oracle (CWE-208).
    failures = await reg.db.login_failures.get(user["id"] if user else NOBODY)
    if user is None:
        await reg.hasher.verify(None, password)
        raise LoginRefused("not_found")
    if lock_state.locked(failures):
        await reg.hasher.verify(None, password)
        if lock_state.by_admin(failures):
            raise LoginRefused("locked", f"user {user['id']} locked by an administrator", "locked by an administrator")
        raise LoginRefused("locked", f"user {user['id']} locked out")
    ok, needs_rehash = await reg.hasher.verify(user["password_hash"], password)
    if not ok:
        raise LoginRefused("bad_password")  # already counted by the reservation
    await lockout.refund(reg, reservation)
    # The right password does not clear wrong second-factor codes (login_failures): else whoever
    # has the password could log in again after every few guesses at the code, without end.
    # A right code clears them (mfa/factors.py); they also expire with their window.
    if needs_rehash:
        await reg.db.users.set_password_hash(user["id"], await reg.hasher.hash(password))
    if not user["active"]:
        raise LoginRefused("inactive")
    if expired(user):
        raise LoginRefused("expired")
    return user


async def authenticate_logged(reg: Registry, login_id: str, password: str, application_id: str | None) -> dict[str, Any]:
    """`authenticate` plus `user.login.failed` with the reason (for operators, never the client) on
    refusal. Success is recorded where a login completes (after any second factor): the Login
    API's `complete`, the hosted pages' `ui/signin.finish` and the password grant."""
    try:
        return await authenticate(reg, login_id, password)
    except LoginRefused as exc:
        await events.login_failed(reg, login_id, exc.event_reason or _EVENT_REASONS.get(exc.reason, exc.reason),
                                 application_id)
        raise


async def record_login(reg: Registry, user: dict[str, Any]) -> dict[str, Any]:
    """Remember the login instant on the user (FusionAuth's `lastLoginInstant`)."""
    doc = {**user["doc"], "lastLoginInstant": clock.now_ms()}
    await reg.db.users.touch_login(user["id"], doc, user["version"])
    return {**user, "doc": doc}
