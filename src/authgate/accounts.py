"""Whether a user may get tokens at all: one rule for every path that issues them (password
login, hosted login, refresh, SSO re-use)."""
from __future__ import annotations

from typing import Any

from authgate.clock import clock


def expired(user: dict[str, Any]) -> bool:
    """FusionAuth's `user.expiry` (epoch ms) has passed."""
    expiry = user["doc"].get("expiry")
    return isinstance(expiry, int) and expiry <= clock.now_ms()


def usable(user: dict[str, Any] | None) -> bool:
    return user is not None and bool(user["active"]) and not expired(user)
