"""How each example app must be registered at the IdP, as a FusionAuth Application body.

`authgate demo` POSTs `application_spec(...)` to `/api/application` (or `/api/application/{id}`
to choose the id, which is also the OAuth client id) with its admin API key, then registers the
demo user to the application. Field names are FusionAuth's documented Application API fields.
"""
from __future__ import annotations

from typing import Any

from .config import BACKEND_MODES, IMPLICIT_MODES, MODES

# The JWT is short-lived so that the demo shows expiry and the per-mode recovery within minutes.
DEFAULT_ACCESS_TTL_SECONDS = 300
DEFAULT_REFRESH_TTL_MINUTES = 60 * 24


def application_spec(app_name: str, mode: str, public_origin: str, *, client_secret: str | None = None,
                     access_token_ttl_seconds: int = DEFAULT_ACCESS_TTL_SECONDS,
                     refresh_token_ttl_minutes: int = DEFAULT_REFRESH_TTL_MINUTES,
                     refresh_token_usage_policy: str = "OneTimeUse") -> dict[str, Any]:
    """Return `{"application": {...}}` for app `app_name` ("Store", "Forums") running in `mode`
    at `public_origin` (e.g. "http://store.authgate.localhost:8081").

    Per mode:
    - implicit-localstorage / implicit-cookie: `enabledGrants` ["implicit"], a public client (no
      client authentication), redirect to `<origin>/oauth-redirect`; no refresh tokens -- expiry
      is handled by re-running authorize against the IdP's SSO session (seeds 002 and 000).
    - native-refresh-cookie: the SPA uses the Login API (`/api/login`, `/api/jwt/refresh`), so
      `loginConfiguration.generateRefreshTokens` is on; `enabledGrants` ["refresh_token"] only
      (no browser redirect grant is used; seed 001 has no SSO).
    - code-pkce-cookie / bff: `enabledGrants` ["authorization_code", "refresh_token"], a
      confidential client (`requireClientAuthentication`, `clientAuthenticationPolicy`
      "Required") that must also use PKCE (`proofKeyForCodeExchangePolicy` "Required"); the
      backend's callback `<origin>/api/oauth-callback` is registered next to `/oauth-redirect`.
    No mode enables the `password` grant.

    `authorizedOriginURLs` [origin] is what lets the IdP answer the SPA's credentialed CORS calls
    (native mode). `logoutURL` is where `/oauth2/logout` sends the browser back to.
    `client_secret`: pass one to fix it (the app's `ExampleConfig.client_secret` must match);
    omit it and the IdP generates one, to be read from the response.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    origin = public_origin.rstrip("/")
    backend = mode in BACKEND_MODES
    redirects = [origin + "/oauth-redirect"] + ([origin + "/api/oauth-callback"] if backend else [])
    if mode in IMPLICIT_MODES:
        grants = ["implicit"]
    elif backend:
        grants = ["authorization_code", "refresh_token"]
    else:
        grants = ["refresh_token"]
    oauth: dict[str, Any] = {
        "authorizedRedirectURLs": redirects,
        "authorizedOriginURLs": [origin],
        "logoutURL": origin + "/",
        "enabledGrants": grants,
        "requireClientAuthentication": backend,
        "clientAuthenticationPolicy": "Required" if backend else "NotRequired",
        "proofKeyForCodeExchangePolicy": "Required" if backend else "NotRequired",
    }
    if client_secret:
        oauth["clientSecret"] = client_secret
    return {"application": {
        "name": f"{app_name} ({mode})",
        "oauthConfiguration": oauth,
        "loginConfiguration": {
            "generateRefreshTokens": mode == "native-refresh-cookie",
            "allowTokenRefresh": mode == "native-refresh-cookie",
            "requireAuthentication": False,  # the SPA calls /api/login without an API key
        },
        "jwtConfiguration": {
            "enabled": True,
            "timeToLiveInSeconds": access_token_ttl_seconds,
            "refreshTokenTimeToLiveInMinutes": refresh_token_ttl_minutes,
            "refreshTokenUsagePolicy": refresh_token_usage_policy,
            "refreshTokenExpirationPolicy": "Fixed",
        },
    }}
