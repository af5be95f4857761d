"""Pure ASGI middleware: a request body cap and CORS for the applications' registered origins."""
from __future__ import annotations

import json
import time
from typing import Any, Awaitable, Callable

from starlette.exceptions import HTTPException

from authgate.storage.db import Database
from authgate.web.errors import speaks_oauth

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


async def send_error(scope: Scope, send: Send, status: int, oauth: dict[str, str], general: dict[str, str],
                     extra: list[tuple[bytes, bytes]] | None = None) -> None:
    """An error answered before the app runs, in the caller's protocol: RFC 6749 on /oauth2,
    FusionAuth's `generalErrors` elsewhere."""
    body: dict[str, Any] = oauth if speaks_oauth(scope["path"]) else {"generalErrors": [general]}
    data = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


class BodyLimit:
    """Refuse bodies over `limit` bytes before reading them (413), whether or not Content-Length says so."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                if not value.isdigit() or int(value) > self.limit:
                    return await self._too_large(scope, send)
                declared = True
        if declared or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            # The server delivers at most Content-Length bytes, and no handler reads the body of
            # a GET: nothing to count. Otherwise (chunked, or HTTP/2 without a length) count it.
            return await self.app(scope, receive, send)
        seen = 0
        started = exceeded = False

        async def capped_receive() -> dict[str, Any]:
            nonlocal seen, exceeded
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    exceeded = True
                    raise _TooLarge()
            return message

        async def tracking_send(message: dict[str, Any]) -> None:
            nonlocal started
            if exceeded:
                # The app caught our exception (FastAPI turns a failed body read into a 400): answer 413 anyway.
                if not started and message["type"] == "http.response.start":
                    started = True
                    await self._too_large(scope, send)
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, capped_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._too_large(scope, send)

    async def _too_large(self, scope: Scope, send: Send) -> None:
        await send_error(scope, send, 413,
                         {"error": "invalid_request", "error_description": "The request body is too large."},
                         {"code": "[RequestTooLarge]", "message": f"The request body exceeds {self.limit} bytes."},
                         [(b"connection", b"close")])


class _TooLarge(HTTPException):
    """Raised from `receive`: an HTTPException, so whatever layer catches it first (the front
    door, FastAPI's exception middleware) answers 413 instead of logging an unexpected error."""

    def __init__(self) -> None:
        super().__init__(413, "The request body is too large.")


_ALLOWED_HEADERS = b"Accept, Authorization, Content-Type, DPoP, X-FusionAuth-TenantId"
_ALLOWED_METHODS = b"GET, POST, PUT, PATCH, DELETE, OPTIONS"


class OriginRegistry:
    """The set of origins registered by applications (`oauthConfiguration.authorizedOriginURLs`)."""

    def __init__(self, db: Database, ttl: float = 2.0) -> None:
        self._db, self._ttl = db, ttl
        self._origins: frozenset[str] = frozenset()
        self._loaded = -1e9

    async def allowed(self, origin: str) -> bool:
        if time.monotonic() - self._loaded > self._ttl:
            origins: set[str] = set()
            for app in await self._db.applications.list():
                oauth = app["doc"].get("oauthConfiguration") or {}
                origins.update(o.rstrip("/") for o in oauth.get("authorizedOriginURLs") or [] if isinstance(o, str))
            self._origins, self._loaded = frozenset(origins), time.monotonic()
        return origin in self._origins

    def invalidate(self) -> None:
        self._loaded = -1e9


class Cors:
    """Echo the exact registered Origin with credentials; never `*` (the browser would refuse it anyway)."""

    def __init__(self, app: ASGIApp, origins: OriginRegistry) -> None:
        self.app, self.origins = app, origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        origin = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"origin"), None)
        if origin is None:
            return await self.app(scope, receive, send)
        allowed = await self.origins.allowed(origin)
        cors = [(b"access-control-allow-origin", origin.encode()), (b"access-control-allow-credentials", b"true")]
        if scope["method"] == "OPTIONS" and any(k == b"access-control-request-method" for k, _ in scope["headers"]):
            headers = [(b"vary", b"Origin"), (b"content-length", b"0")]
            if allowed:
                headers += cors + [(b"access-control-allow-methods", _ALLOWED_METHODS),
                                   (b"access-control-allow-headers", _ALLOWED_HEADERS),
                                   (b"access-control-max-age", b"600")]
            await send({"type": "http.response.start", "status": 204 if allowed else 403, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return

        async def add_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + [(b"vary", b"Origin")] + (cors if allowed else [])
            await send(message)

        await self.app(scope, receive, add_headers)
