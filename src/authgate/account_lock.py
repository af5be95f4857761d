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
from authgate.storage.repos import Conflict


async def lock(reg: Registry, user_id: str) -> None:
    """The lock, the end of the user's tokens and the event: one transaction."""
    for attempt in range(3):
        try:
            async with events.recorded(reg) as tx:
                await reg.db.login_failures.lock(user_id, clock.now_ms() + FOREVER_MS, tx)
                await revocation.revoke_user_tokens(reg, user_id, tx=tx)  # sessions, refresh and access tokens end now
                await events.emit(reg, events.USER_UPDATE, user_id=user_id, message="user locked by an administrator",
                                  payload={"locked": True}, tx=tx)
            return
        except Conflict:  # a failed login created the user's failure row meanwhile: lock that row
            if attempt == 2:
                raise


async def unlock(reg: Registry, user_id: str) -> None:
    async with events.recorded(reg) as tx:
        await reg.db.login_failures.reset(user_id, tx)
        await lockout.forget(reg, user_id, tx)  # the password-guess counters of every address too
        await events.emit(reg, events.USER_UPDATE, user_id=user_id, message="user unlocked by an administrator",
                          payload={"locked": False}, tx=tx)
