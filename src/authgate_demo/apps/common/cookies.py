"""Cookies on the app's own origin. No `Domain` attribute, ever: a host-only cookie stays on
store.authgate.localhost and never reaches forums.* or idp.* (see the notes in WORKFLOWS.md)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from fastapi import Response

from .config import ExampleConfig

ACCESS_COOKIE = "app_jwt"  # the JWT itself: cookie-drop and code-pkce-cookie
REFRESH_COOKIE = "app_refresh"  # code-pkce-cookie only
LOGIN_TX_COOKIE = "login_tx"  # state + PKCE verifier + nonce while the browser is at the IdP
SESSION_COOKIE = "bff_session"  # bff: an opaque id, the tokens stay in the database


def cookie_name(cfg: ExampleConfig, base: str) -> str:
    """`__Host-` pins a cookie to this exact origin with Path=/ (RFC 6265bis 4.1.3.2); browsers
    only accept it with Secure, hence only when we are served over https."""
    return f"__Host-{base}" if cfg.secure_cookies else base


def set_cookie(response: Response, cfg: ExampleConfig, base: str, value: str, *, max_age: int,
               samesite: str = "strict") -> None:
    response.set_cookie(cookie_name(cfg, base), value, max_age=max(0, int(max_age)), path="/",
                        httponly=True, secure=cfg.secure_cookies, samesite=samesite)


def clear_cookie(response: Response, cfg: ExampleConfig, base: str, *, samesite: str = "strict") -> None:
    response.delete_cookie(cookie_name(cfg, base), path="/", httponly=True, secure=cfg.secure_cookies,
                           samesite=samesite)


def seconds_until(exp: Any, now: float | None = None) -> int:
    return max(0, int(exp) - int(now if now is not None else time.time()))


class Signer:
    """HMAC-signed, expiring JSON for the login-transaction cookie. The browser may read it
    (base64) but cannot change it; it holds nothing that is useful without the code."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def dumps(self, data: dict[str, Any], ttl: int, now: float) -> str:
        body = base64.urlsafe_b64encode(json.dumps({**data, "exp": int(now) + ttl}).encode()).decode().rstrip("=")
        return f"{body}.{self._mac(body)}"

    def loads(self, value: str | None, now: float) -> dict[str, Any] | None:
        if not value or value.count(".") != 1:
            return None
        body, mac = value.split(".")
        if not hmac.compare_digest(mac, self._mac(body)):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except ValueError:
            return None
        if not isinstance(data, dict) or int(data.get("exp", 0)) < now:
            return None
        return data

    def _mac(self, body: str) -> str:
        digest = hmac.new(self._secret, body.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")
