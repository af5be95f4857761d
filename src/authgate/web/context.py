"""The web edge's side of `authgate.events.RequestContext`: who is calling, from where.

`RequestScope` (pure ASGI, outside FastAPI) binds a lazily built context to every request, so the
core's `events.emit` finds it even where an adapter did not pass one down (the OAuth grants);
building it costs nothing unless an event is emitted. Adapters that know the actor record it with
`set_actor` (the API-key dependency does), and `context(request)` returns the full record.

The client IP is the transport peer, or the client a trusted proxy forwards for (`web/proxy.py`
rewrites the scope from `X-Forwarded-For` only when the peer is in `AUTHGATE_TRUSTED_PROXIES`).
"""
from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from authgate import events
from authgate.events import ANONYMOUS, Actor, RequestContext

_MAX_USER_AGENT = 512


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or ():
        if key == name:
            return value.decode("latin-1")
    return None


def context_from_scope(scope: Scope) -> RequestContext:
    client = scope.get("client")
    state = scope.get("state") or {}
    ua = _header(scope, b"user-agent")
    return RequestContext(
        ip=client[0] if client else None,
        user_agent=ua[:_MAX_USER_AGENT] if ua else None,
        actor=state.get("actor") or ANONYMOUS,
        request_id=state.get("request_id"),
    )


def context(request: Request) -> RequestContext:
    return context_from_scope(request.scope)


def set_actor(request: Request, actor: Actor) -> None:
    request.state.actor = actor


class RequestScope:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        scope.setdefault("state", {})  # one dict shared by every copy of the scope downstream
        token = events.bind(lambda: context_from_scope(scope))
        try:
            await self.app(scope, receive, send)
        finally:
            events.unbind(token)


def api_key_actor(row: dict[str, Any]) -> Actor:
    description = ((row.get("doc") or {}).get("metaData") or {}).get("attributes", {}).get("description")
    return Actor("api_key", row["id"], description if isinstance(description, str) else None)
