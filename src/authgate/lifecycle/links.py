"""The URLs put in emails. Built from the configured issuer (`AUTHGATE_ISSUER`) only, never
from the request's Host or X-Forwarded-Host: a forged header must not turn a reset email into
a link to the attacker's site (reset-link poisoning)."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode, urlsplit


def _with_client(issuer: str, path: str, client_id: str | None) -> str:
    query = f"?{urlencode({'client_id': client_id})}" if client_id else ""
    return f"{issuer}{path}{query}"


def change_password(issuer: str, change_password_id: str, client_id: str | None) -> str:
    """FusionAuth's hosted reset page: /password/change/{changePasswordId}."""
    return _with_client(issuer, f"/password/change/{quote(change_password_id, safe='')}", client_id)


def verify_email(issuer: str, verification_id: str, client_id: str | None) -> str:
    """FusionAuth's hosted verification page: /email/verify/{verificationId}."""
    return _with_client(issuer, f"/email/verify/{quote(verification_id, safe='')}", client_id)


def forgot_password(issuer: str, client_id: str | None) -> str:
    return _with_client(issuer, "/password/forgot", client_id)


def account(issuer: str, client_id: str | None) -> str:
    return _with_client(issuer, "/account", client_id)


def app_home(app: dict[str, Any] | None) -> str | None:
    """Where "back to the application" goes: its first authorized origin, else the origin of its
    first redirect URI (both registered by an administrator, so safe to link to)."""
    oauth = (app or {}).get("doc", {}).get("oauthConfiguration") or {}
    for key in ("authorizedOriginURLs", "authorizedRedirectURLs"):
        for url in oauth.get(key) or []:
            if isinstance(url, str) and url.startswith(("https://", "http://")):
                parts = urlsplit(url)
                return f"{parts.scheme}://{parts.netloc}/"
    return None
