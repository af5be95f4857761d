"""A login that passed its first factor and waits for the second: FusionAuth's `twoFactorId`.

The id is a random value held by the client; only its digest is stored, with the user, the
application it was issued for, and the factors used so far. It expires after
`two_factor_ttl_seconds`, works only for its application, and is spent by the successful second
factor (a wrong code leaves it, so the user can retype; the lockout bounds the guesses).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from authgate.registry import Registry

KIND = "two_factor"
MAX_ID_CHARS = 128


@dataclass(frozen=True)
class Pending:
    value: str
    user_id: str
    application_id: str | None
    amr: tuple[str, ...]
    doc: dict[str, Any]


async def start(reg: Registry, user_id: str, application_id: str | None, amr: tuple[str, ...],
                **extra: Any) -> str:
    value = secrets.token_urlsafe(32)
    await reg.db.mfa_challenges.create(value, KIND, user_id, reg.settings.two_factor_ttl_seconds,
                                       {"applicationId": application_id, "amr": list(amr), **extra})
    return value


async def find(reg: Registry, value: Any, application_id: str | None) -> Pending | None:
    """The live pending login for this application, or None (unknown, expired, spent, or issued
    for another application: all look the same to the caller)."""
    if not isinstance(value, str) or not value or len(value) > MAX_ID_CHARS:
        return None
    row = await reg.db.mfa_challenges.peek(value, KIND)
    if row is None or row["doc"].get("applicationId") != application_id:
        return None
    return Pending(value, row["user_id"], application_id, tuple(row["doc"].get("amr") or ()), row["doc"])


async def finish(reg: Registry, pending: Pending) -> bool:
    """Spend it: True for exactly one caller."""
    return await reg.db.mfa_challenges.consume(pending.value, KIND) is not None
