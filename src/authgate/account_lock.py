"""An administrator locks a user out, and unlocks them (the console's Lock/Unlock; `unlock` also
lifts a lockout after too many failed logins).

A lock is the failed-login lockout with no end (`login_failures.locked_until_instant`), so every
login path already refuses it (409, `authenticate()`); locking also ends the user's sessions,
refresh tokens and access tokens at once (revocation.revoke_user_tokens). Unlike deactivation the account stays
active: the user keeps their registrations and can log in again once unlocked.
"""
from __future__ import annotations

from authgate import events, lockout, revocation
from authgate.clock import clock
from authgate.lock_state import FOREVER_MS
from authgate.registry import Registry


async def lock(reg: Registry, user_id: str) -> None:
    await reg.db.login_failures.lock(user_id, clock.now_ms() + FOREVER_MS)
    await revocation.revoke_user_tokens(reg, user_id)  # sessions, refresh and access tokens end now
    await events.emit(reg, events.USER_UPDATE, user_id=user_id, message="user locked by an administrator",
                      payload={"locked": True})


async def unlock(reg: Registry, user_id: str) -> None:
    await reg.db.login_failures.reset(user_id)
    await lockout.forget(reg, user_id)  # the password-guess counters of every address too
    await events.emit(reg, events.USER_UPDATE, user_id=user_id, message="user unlocked by an administrator",
                      payload={"locked": False})
