"""Whether a user is locked, and by whom: a lockout after failed attempts ends, an administrator's
lock does not (it is the same `login_failures.locked_until_instant`, set a century ahead)."""
from __future__ import annotations

from typing import Any

from authgate.clock import clock

FOREVER_MS = 100 * 365 * 86_400_000
# A lock ending further ahead than this is an administrator's: lockouts after failed logins or
# second-factor codes last `LOCKOUT_SECONDS` (minutes), never years.
_ADMIN_LOCK_MS = 10 * 365 * 86_400_000


def locked(failures: dict[str, Any] | None) -> bool:
    return bool(failures and (failures["locked_until_instant"] or 0) > clock.now_ms())


def by_admin(failures: dict[str, Any] | None) -> bool:
    return locked(failures) and failures is not None and failures["locked_until_instant"] - clock.now_ms() > _ADMIN_LOCK_MS


def locked_until(failures: dict[str, Any] | None) -> int | None:
    """When a lockout after failed attempts ends (epoch ms); None when not locked, or locked by
    an administrator (no end)."""
    return failures["locked_until_instant"] if locked(failures) and not by_admin(failures) else None
