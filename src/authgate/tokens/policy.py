"""An application's token policy, read from its FusionAuth-shaped configuration with our defaults.

Deliberate difference from FusionAuth: new applications rotate refresh tokens (OneTimeUse) with
reuse detection unless they opt out, as RFC 9700 section 4.14.2 recommends for public clients.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authgate.config import Settings
from authgate.registry import Registry


@dataclass(frozen=True)
class TokenPolicy:
    access_ttl: int
    refresh_ttl_minutes: int
    one_time_use: bool
    expiration: str  # Fixed | SlidingWindow | SlidingWindowWithMaximumLifetime
    maximum_lifetime_minutes: int
    key_id: str | None
    id_token_key_id: str | None
    login_refresh_tokens: bool


def token_policy(reg: Registry, app: dict[str, Any] | None) -> TokenPolicy:
    """The policy of `app` (None: the settings' defaults), parsed once per cached application row
    (the registry's app cache keeps it: a refresh asks three times)."""
    if app is None:
        return _read(None, reg.settings)
    return reg.apps.derived(app, "token_policy", lambda row: _read(row["doc"], reg.settings))


def _read(app_doc: dict[str, Any] | None, settings: Settings) -> TokenPolicy:
    jc = (app_doc or {}).get("jwtConfiguration") or {}
    lc = (app_doc or {}).get("loginConfiguration") or {}
    sliding = jc.get("refreshTokenSlidingWindowConfiguration") or {}
    ttl_min = int(jc.get("refreshTokenTimeToLiveInMinutes") or settings.refresh_token_ttl_minutes)
    return TokenPolicy(
        access_ttl=int(jc.get("timeToLiveInSeconds") or settings.access_token_ttl_seconds),
        refresh_ttl_minutes=ttl_min,
        one_time_use=jc.get("refreshTokenUsagePolicy", "OneTimeUse") == "OneTimeUse",
        expiration=jc.get("refreshTokenExpirationPolicy", "Fixed"),
        maximum_lifetime_minutes=int(sliding.get("maximumTimeToLiveInMinutes") or ttl_min),
        key_id=jc.get("accessTokenKeyId") or None,
        id_token_key_id=jc.get("idTokenKeyId") or None,
        login_refresh_tokens=bool(lc.get("generateRefreshTokens", False)),
    )
