"""Per-client-IP rate limits on the endpoints that take passwords or secrets (`limits` library).

Memory storage limits one node; `redis://` storage makes every node share the counters. Lockout
(409) protects each account; this protects the server and slows credential stuffing across
accounts. Over the limit: 429 with `Retry-After`, in the caller's protocol's error shape. The
counters (`Limiter`) belong to the registry: authgate/rate_limiter.py.
"""
from __future__ import annotations

import math
import time
from typing import Any

from authgate.rate_limiter import Limiter
from authgate.web.middleware import send_error

LIMITED = {("POST", "/api/login"), ("POST", "/oauth2/token"), ("POST", "/oauth2/authorize"), ("POST", "/api/jwt/refresh"),
           ("POST", "/api/two-factor/login"), ("POST", "/api/webauthn/login")}


class RateLimit:
    def __init__(self, app: Any, limiter: Limiter) -> None:
        self.app = app
        self.item = limiter.item
        self.limiter = limiter.strategy

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or (scope["method"], scope["path"]) not in LIMITED:
            return await self.app(scope, receive, send)
        client = (scope.get("client") or ("unknown", 0))[0]
        if await self.limiter.hit(self.item, scope["path"], client):
            return await self.app(scope, receive, send)
        stats = await self.limiter.get_window_stats(self.item, scope["path"], client)
        retry = max(1, math.ceil(stats.reset_time - time.time()))
        await send_error(scope, send, 429,
                         {"error": "slow_down", "error_description": "Too many requests; retry later."},
                         {"code": "[TooManyRequests]", "message": f"Too many requests; retry in {retry} seconds."},
                         [(b"retry-after", str(retry).encode())])
