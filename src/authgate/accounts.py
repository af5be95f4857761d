"""Whether a user may get tokens, at all and for one application: one rule (`token_refusal`) for
every path that issues them -- code exchange, refresh (both APIs), SSO re-use and the implicit
answer of /oauth2/authorize, the password grant, /api/login, userinfo.

FusionAuth's `oauthConfiguration.requireRegistration`: when true, a user must be registered for
the application to get its tokens (issue 15 finding 4). New applications get it on unless they
set it (fusionauth/applications.py); a stored application without the key keeps FusionAuth's
default, off. /api/login is stricter by its own contract: with an `applicationId` and no
registration it answers 202 without a token whatever the flag says.
"""
from __future__ import annotations

from typing import Any

from authgate.clock import clock


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
