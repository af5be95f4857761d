"""Per-client-IP rate limits on the endpoints that take passwords or secrets (`limits` library).

Memory storage limits one node; `redis://` storage makes every node share the counters. Lockout
(409) protects each account; this protects the server and slows credential stuffing across
accounts. Over the limit: 429 with `Retry-After`, in the caller's protocol's error shape. The
counters (`Limiter`) belong to the registry: authgate/rate_limiter.py.
"""
from __future__ import annotations

import hashlib
import math
import time
from typing import Any

from authgate.rate_limiter import Limiter
from authgate.web.middleware import send_error

LIMITED = {("POST", "/api/login"), ("POST", "/oauth2/token"), ("POST", "/oauth2/authorize"), ("POST", "/api/jwt/refresh"),
           ("POST", "/api/two-factor/login"), ("POST", "/api/webauthn/login"),
           # Account lifecycle (ui/ and fusionauth/): sign-up, forgot/reset/change password, verification.
           ("POST", "/oauth2/register"), ("POST", "/password/forgot"), ("POST", "/api/user/forgot-password"),
           ("POST", "/account/password"), ("POST", "/api/user/change-password"), ("PUT", "/api/user/verify-email"),
           ("POST", "/account/mfa/reauthenticate")}  # signing in again before adding a first factor
# Paths that carry an id: limited per client IP like the others, counted per prefix.
LIMITED_PREFIXES = (("POST", "/password/change/"), ("POST", "/email/verify/"), ("POST", "/api/user/change-password/"),
                    ("GET", "/api/user/change-password/"))


def _limited_key(method: str, path: str) -> str | None:
    if (method, path) in LIMITED:
        return path
    return next((prefix for m, prefix in LIMITED_PREFIXES if m == method and path.startswith(prefix)), None)


class RateLimit:
    def __init__(self, app: Any, limiter: Limiter) -> None:
        self.app = app
        self.item = limiter.item
        self.limiter = limiter.strategy

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        key = _limited_key(scope["method"], scope["path"]) if scope["type"] == "http" else None
        if key is None:
            return await self.app(scope, receive, send)
        client = (scope.get("client") or ("unknown", 0))[0]
        if await self.limiter.hit(self.item, key, client):
            return await self.app(scope, receive, send)
        stats = await self.limiter.get_window_stats(self.item, key, client)
        retry = max(1, math.ceil(stats.reset_time - time.time()))
        await send_error(scope, send, 429,
                         {"error": "slow_down", "error_description": "Too many requests; retry later."},
                         {"code": "[TooManyRequests]", "message": f"Too many requests; retry in {retry} seconds."},
                         [(b"retry-after", str(retry).encode())])


async def address_allowed(limiter: Limiter | None, purpose: str, address: str) -> bool:
    """Count one email to `address` for `purpose`; False past `AUTHGATE_RATE_LIMIT_EMAIL`. The
    caller answers the same either way (no enumeration) and only skips the email: a mailbox cannot
    be flooded through our forms, and the limit says nothing about whether the address exists."""
    if limiter is None:
        return True
    key = hashlib.sha256(address.strip().casefold().encode()).hexdigest()  # no address in Redis keys
    return bool(await limiter.strategy.hit(limiter.address_item, purpose, key))
