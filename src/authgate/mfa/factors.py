"""A user's second factors: enrol a TOTP authenticator, check a code (TOTP or recovery), remove
a method, regenerate recovery codes.

Wrong codes count toward the same lockout as wrong passwords (FusionAuth's
failedAuthenticationConfiguration, storage/repos/login_failures.py): five wrong codes lock the
account like five wrong passwords, so a stolen password does not buy unlimited guesses at a
6-digit code. Codes are accepted once (totp.py); recovery codes are spent by deleting them.
"""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any

from authgate import events
from authgate.clock import clock
from authgate.mfa import policy, recovery, sealing, totp
from authgate.registry import Registry

log = logging.getLogger("authgate.mfa")
AUTHENTICATOR = "authenticator"  # FusionAuth's name for a TOTP app


class BadCode(Exception):
    """The code is wrong, malformed, already used or expired (FusionAuth answers 421)."""


class Locked(Exception):
    """Too many failed attempts: the account is locked for now (409)."""


@dataclass(frozen=True)
class Method:
    id: str
    method: str
    last_step: int
    secret: bytes

    def public(self) -> dict[str, Any]:
        """FusionAuth's TwoFactorMethod as listed in a 242 or on the user: never the secret."""
        return {"id": self.id, "method": self.method,
                "authenticator": {"algorithm": "HmacSHA1", "codeLength": totp.DIGITS, "timeStep": totp.STEP_SECONDS}}


def _method_id() -> str:
    return secrets.token_hex(2).upper()  # FusionAuth's ids are four characters


async def methods(reg: Registry, user_id: str) -> list[Method]:
    rows = await reg.db.mfa_methods.for_user(user_id)
    key = reg.settings.mfa_secret_key
    return [Method(r["id"], r["method"], r["last_step"], sealing.open_sealed(r["secret"], user_id, key)) for r in rows]


async def has_any(reg: Registry, user_id: str) -> bool:
    """Any second factor: a TOTP method or a passkey."""
    return await reg.db.mfa_methods.has_factor(user_id)


async def enable_totp(reg: Registry, user_id: str, secret: bytes, code: str) -> tuple[Method, list[str] | None]:
    """Enrol an authenticator after the user proved they can read it (the confirmation code).
    Returns the method and, for the first method, the ten recovery codes (shown once)."""
    step = totp.matching_step(secret, code, clock.now(), newer_than=-1)
    if step is None:
        raise BadCode("confirmation code does not match the secret")
    first = not await reg.db.mfa_methods.for_user(user_id)
    row = await reg.db.mfa_methods.create({
        "id": _method_id(), "user_id": user_id, "method": AUTHENTICATOR, "last_step": step,  # the code is spent
        "secret": sealing.seal(secret, user_id, reg.settings.mfa_secret_key)})
    codes = None
    if first:
        codes = recovery.generate()
        await reg.db.recovery_codes.replace(user_id, codes)
    log.info("user %s enrolled authenticator %s", user_id, row["id"])
    await events.emit(reg, events.USER_TWO_FACTOR_METHOD_ADD, user_id=user_id,
                      payload={"method": {"id": row["id"], "method": AUTHENTICATOR}})
    return Method(row["id"], AUTHENTICATOR, step, secret), codes


async def _locked(reg: Registry, user_id: str) -> bool:
    failures = await reg.db.login_failures.get(user_id)
    return bool(failures and (failures["locked_until_instant"] or 0) > clock.now_ms())


async def _failed(reg: Registry, user_id: str, why: str) -> BadCode:
    s = reg.settings
    row = await reg.db.login_failures.record(user_id, s.failed_login_window_seconds, s.failed_login_threshold,
                                             s.lockout_seconds)
    log.info("second factor refused for user %s: %s (%d failures)", user_id, why, row["count"])
    return BadCode(why)


async def check_code(reg: Registry, user_id: str, code: str, *, method_id: str | None = None) -> str:
    """Spend a code of this user: a TOTP code of one of their methods (or of `method_id`) or a
    recovery code. Returns "otp" or "recovery"; raises Locked or BadCode."""
    if await _locked(reg, user_id):
        raise Locked()
    code = (code or "").strip()
    if totp.well_formed(code):
        for m in await methods(reg, user_id):
            if method_id not in (None, m.id):
                continue
            step = totp.matching_step(m.secret, code, clock.now(), newer_than=m.last_step)
            if step is not None and await reg.db.mfa_methods.advance_step(m.id, step):
                await _succeeded(reg, user_id)
                return "otp"
        raise await _failed(reg, user_id, "TOTP code wrong or already used")
    normal = recovery.normalise(code) if len(code) <= 32 else None
    if normal is not None and await reg.db.recovery_codes.use(user_id, normal):
        await _succeeded(reg, user_id)
        log.warning("user %s used a recovery code", user_id)
        return "recovery"
    raise await _failed(reg, user_id, "not a valid code")


async def _succeeded(reg: Registry, user_id: str) -> None:
    if await reg.db.login_failures.get(user_id):
        await reg.db.login_failures.reset(user_id)


async def remove(reg: Registry, user_id: str, method_id: str, code: str) -> list[str]:
    """FusionAuth's disable: the caller proves possession with a fresh code. A TOTP code (of any
    of the user's apps: a user who lost one app removes it with another) removes `method_id`; a
    recovery code removes every method, as FusionAuth does (the user has lost their apps).
    Returns the ids removed."""
    await _known(reg, user_id, method_id)
    return await remove_proven(reg, user_id, method_id, await check_code(reg, user_id, code))


async def remove_proven(reg: Registry, user_id: str, method_id: str, factor: str) -> list[str]:
    """Remove after `factor` was proven fresh for this change (mfa/fresh.py, or `remove`'s code):
    "recovery" removes every method, anything else `method_id` alone."""
    await _known(reg, user_id, method_id)
    doomed = [m.id for m in await methods(reg, user_id)] if factor == "recovery" else [method_id]
    for one in doomed:
        await _remove(reg, user_id, one)
    return doomed


async def remove_by_admin(reg: Registry, user_id: str, method_id: str) -> None:
    """An administrator removes a method without a code (the user lost the device): the admin
    console's button. The console itself is behind the admin role and its own login."""
    await _known(reg, user_id, method_id)
    await _remove(reg, user_id, method_id)


async def _known(reg: Registry, user_id: str, method_id: str) -> None:
    if not any(row["id"] == method_id for row in await reg.db.mfa_methods.for_user(user_id)):
        raise LookupError(method_id)


async def _remove(reg: Registry, user_id: str, method_id: str) -> None:
    await reg.db.mfa_methods.remove(user_id, method_id)
    if not await reg.db.mfa_methods.for_user(user_id):
        await reg.db.recovery_codes.clear(user_id)
    log.info("user %s removed two-factor method %s", user_id, method_id)
    await events.emit(reg, events.USER_TWO_FACTOR_METHOD_REMOVE, user_id=user_id,
                      payload={"method": {"id": method_id, "method": AUTHENTICATOR}})


async def new_recovery_codes(reg: Registry, user_id: str) -> list[str]:
    """Replace the user's recovery codes (the old ones stop working). The caller has checked who
    asks: an API key, or on the security page a fresh second factor (mfa/fresh.py)."""
    codes = recovery.generate()
    await reg.db.recovery_codes.replace(user_id, codes)
    return codes


async def second_factor_needed(reg: Registry, user_id: str, app: dict[str, Any] | None,
                               acr_values: tuple[str, ...] = ()) -> bool:
    """The application's policy (mfa/policy.py) applied to this user's factors."""
    if policy.login_policy(app) == policy.DISABLED and not acr_values:
        return False
    return policy.second_factor_needed(app, await has_any(reg, user_id), acr_values)
