"""Nothing authgate answers is stored by a cache unless its handler says otherwise.

RFC 6749 section 5.1 (token responses), RFC 7662 section 4 and OpenID Connect Core 5.3.2
(introspection, userinfo) and FusionAuth's own /api/login, /api/jwt/* answers carry tokens or
claims; a shared or browser cache must never keep them. Rather than each handler remembering
(and the next endpoint forgetting), every response that sets no `Cache-Control` of its own gets
`Cache-Control: no-store` and `Pragma: no-cache` (HTTP/1.0 caches). The few answers meant to be
cached (discovery, JWKS) say so explicitly with their own `Cache-Control`.
"""
from __future__ import annotations

from typing import Any

_NO_STORE = [(b"cache-control", b"no-store"), (b"pragma", b"no-cache")]


class NoStore:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def add_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers") or []
                if not any(k.lower() == b"cache-control" for k, _ in headers):
                    message["headers"] = [*headers, *_NO_STORE]
            await send(message)

        await self.app(scope, receive, add_headers)
