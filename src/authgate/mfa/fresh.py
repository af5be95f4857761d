"""A fresh second factor: what the security page asks before it removes a method (an
authenticator app or a passkey) or replaces the recovery codes, so that whoever holds only the
session cookie cannot strip a user's MFA or take over their recovery codes.

Fresh means made for this change, now: a TOTP code of one of the user's apps (accepted once, as
at login), one of their recovery codes (spent), or a passkey assertion with user verification
(the device's PIN or biometric) against a challenge issued to this user for confirming a change
(single use, expiring, and of its own kind, so it cannot sign in and a sign-in one cannot
confirm). The factors the SSO session was signed in with do not count: they may be hours old,
and the cookie may be stolen. Wrong codes count toward the lockout like wrong codes at login;
a refused passkey assertion is not a guess at a secret and does not.
"""
from __future__ import annotations

import json
import logging
from typing import Any

from authgate.mfa import factors, passkeys
from authgate.registry import Registry

log = logging.getLogger("authgate.mfa.fresh")
MAX_ASSERTION_CHARS = 32768


class NotFresh(Exception):
    """No acceptable fresh factor; `locked` when the account is locked by wrong codes."""

    def __init__(self, why: str, *, locked: bool = False) -> None:
        super().__init__(why)
        self.locked = locked


async def passkey_options(reg: Registry, user_id: str) -> dict[str, Any] | None:
    """navigator.credentials.get() options to confirm a change with one of the user's passkeys,
    or None when they have none."""
    if not await passkeys.for_user(reg, user_id):
        return None
    return await passkeys.authentication_options(reg, user_id, passwordless=True, kind=passkeys.CONFIRM)


async def check(reg: Registry, user_id: str, *, code: str | None, assertion: str | None) -> str:
    """The factor this user just proved: "hwk" (a passkey), "otp" or "recovery" (spent). Raises
    NotFresh. A passkey answer, when present, is judged alone (the code field is left empty)."""
    if assertion:
        return await _passkey(reg, user_id, assertion)
    if not code or not code.strip():
        raise NotFresh("no code and no passkey")
    try:
        return await factors.check_code(reg, user_id, code[:64])
    except factors.Locked:
        raise NotFresh("locked", locked=True) from None
    except factors.BadCode as exc:
        raise NotFresh(str(exc)) from None


async def _passkey(reg: Registry, user_id: str, assertion: str) -> str:
    try:
        if len(assertion) > MAX_ASSERTION_CHARS:
            raise passkeys.PasskeyRefused("assertion too long")
        asserted = await passkeys.authenticate(reg, json.loads(assertion), kind=passkeys.CONFIRM)
    except (ValueError, passkeys.PasskeyRefused) as exc:
        log.info("passkey confirmation refused for user %s: %s", user_id, exc)
        raise NotFresh("passkey refused") from None
    # The challenge named this user, so a credential of anyone else was refused above; user
    # verification was required by the options and is checked here, not trusted from them.
    if asserted.passkey.user_id != user_id or not asserted.user_verified:
        log.info("passkey confirmation refused for user %s: not theirs or not user-verified", user_id)
        raise NotFresh("passkey refused")
    return "hwk"
