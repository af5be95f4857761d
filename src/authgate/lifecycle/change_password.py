"""Setting a new password: the one place a password is replaced after sign-up (reset link,
change with the current password, the account page, the change-password APIs).

The policy is checked first; the hash is stored with the user's `version` (an admin's concurrent
edit is never overwritten); then every outstanding reset link of the user is spent, the user's
sessions and tokens end (`sign_out`), the lockout counter is cleared, and the user is told by
email (a change they did not make is how an account takeover is noticed).
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from authgate import events, password_policy
from authgate.clock import clock
from authgate.lifecycle import Refused, links
from authgate.lifecycle.sign_out import end_user_sessions
from authgate.mail import templates
from authgate.mail.outbox import enqueue
from authgate.storage.repos.action_ids import PASSWORD

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from authgate.registry import Registry
    from authgate.storage.transaction import Tx

log = logging.getLogger("authgate.lifecycle")
MAX_ATTEMPTS = 5


def check_new_password(reg: "Registry", password: Any, field: str = "password") -> str:
    if not isinstance(password, str) or not password:
        raise Refused(field, "blank", "Enter a new password.")
    violation = password_policy.check(password, reg.settings)
    if violation is not None:
        raise Refused(field, violation.code, violation.message)
    return password


async def set_password(reg: "Registry", user: dict[str, Any], password: str, *, keep_session_id: str | None = None,
                       mark_verified: bool = False, client_id: str | None = None,
                       then: "Callable[[Tx, dict[str, Any]], Awaitable[None]] | None" = None) -> dict[str, Any]:
    """Store `password` (already checked) for `user`; returns the updated user row. The new hash,
    the spent reset links, the ended sessions, the cleared lockout and `user.password.update` (and
    whatever `then(tx, updated)` adds: the reset's own event) are one transaction."""
    password_hash = await reg.hasher.hash(password)
    updated: dict[str, Any] | None = None
    for _ in range(MAX_ATTEMPTS):
        doc = {**user["doc"], "passwordLastUpdateInstant": clock.now_ms()}
        doc.pop("passwordChangeRequired", None)
        if mark_verified:  # the reset link reached the mailbox: the address is the user's
            doc["verified"] = True
        async with events.recorded(reg) as tx:
            if await reg.db.users.replace(user["id"], doc, password_hash, user["version"], tx=tx):
                await reg.db.action_ids.revoke_for_user(user["id"], PASSWORD, tx)
                revoked = await end_user_sessions(reg, user["id"], keep_session_id, tx)
                await reg.db.login_failures.reset(user["id"], tx)
                await events.emit(reg, events.USER_PASSWORD_UPDATE, user_id=user["id"], application_id=client_id,
                                  payload={"user": {"id": user["id"], "email": user["doc"].get("email")},
                                           "refreshTokensRevoked": revoked}, tx=tx)
                updated = await reg.db.users.get(user["id"], tx)
                assert updated is not None
                if then is not None:
                    await then(tx, updated)
        if updated is not None:
            break
        fresh = await reg.db.users.get(user["id"])
        if fresh is None:
            raise Refused("user", "missing", "The user no longer exists.")
        user = fresh
    else:
        raise Refused("user", "ConcurrentModification", "The user was modified by another request; retry.")
    log.info("password of user %s changed; %d refresh tokens revoked", user["id"], revoked)
    email = user["doc"].get("email")
    if email:
        await enqueue(reg, email, templates.PASSWORD_CHANGED, name=user["doc"].get("firstName") or "", email=email,
                      forgot_link=links.forgot_password(reg.issuer, client_id))
    return updated


async def change_with_current(reg: "Registry", user: dict[str, Any], current: Any, new: Any, *,
                              keep_session_id: str | None = None, client_id: str | None = None) -> dict[str, Any]:
    """The signed-in change: the current password is required (it may be someone else at an
    unlocked screen). A wrong current password counts as a failed login (lockout)."""
    if not isinstance(current, str) or not current:
        raise Refused("currentPassword", "blank", "Enter your current password.")
    check_new_password(reg, new)
    ok, _ = await reg.hasher.verify(user["password_hash"], current)
    if not ok:
        s = reg.settings
        await reg.db.login_failures.record(user["id"], s.failed_login_window_seconds, s.failed_login_threshold,
                                           s.lockout_seconds)
        raise Refused("currentPassword", "invalid", "Your current password is not correct.")
    if current == new:
        raise Refused("password", "unchanged", "The new password must differ from the current one.")
    return await set_password(reg, user, new, keep_session_id=keep_session_id, client_id=client_id)
