"""The web edge's per-request context: request id, access log line, and the events context.

`RequestScope` (pure ASGI, outermost after the proxy-header middleware, so the front door's
requests pass it too) does three things for every HTTP request:

- **Request id**: a valid incoming `X-Request-Id` (1-128 of `A-Za-z0-9._:-`, so it cannot forge
  log lines) is kept, else one is made (a per-process random prefix and a counter: no system call
  per request). It is returned as `X-Request-Id`, put in `logs.request_id` for every log line of
  the request, and in the events context.
- **Access log**: one line per request on `authgate.access` at INFO (method, path, query with
  secret values redacted, status, duration, client IP), skipped entirely below INFO.
- **Events context**: binds a lazily built `events.RequestContext` (IP, user agent, actor,
  request id), so the core's `events.emit` finds it even where an adapter did not pass one down.
  Adapters that know the actor record it with `set_actor` (the API-key check does).

The client IP is the scope's peer address, which `web/proxy.py` has already replaced with
`X-Forwarded-For`'s client when, and only when, the peer is one of `trusted_proxies`.
"""
from __future__ import annotations

import itertools
import logging
import re
import secrets
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from authgate import events, logs
from authgate.events import ANONYMOUS, Actor, RequestContext
from authgate.registry import Registry
from authgate.web.middleware import OriginRegistry

access_log = logging.getLogger("authgate.access")

_MAX_USER_AGENT = 512
_VALID_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,128}$")
_PREFIX = secrets.token_hex(4)
_counter = itertools.count(1)
# Query parameters whose values are credentials or one-time secrets, besides what
# `events.is_secret_key` recognises (code, token, password, secret, ...).
_SECRET_PARAMS = frozenset({"id_token_hint", "code_verifier", "login_hint", "assertion", "client_assertion"})


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers") or ():
        if key == name:
            return bytes(value)
    return None


def context_from_scope(scope: Scope) -> RequestContext:
    client = scope.get("client")
    state = scope.get("state") or {}
    ua = _header(scope, b"user-agent")
    return RequestContext(
        ip=client[0] if client else None,
        user_agent=ua.decode("latin-1")[:_MAX_USER_AGENT] if ua else None,
        actor=state.get("actor") or ANONYMOUS,
        request_id=state.get("request_id"),
    )


def context(request: Request) -> RequestContext:
    return context_from_scope(request.scope)


def set_actor(request: Request, actor: Actor) -> None:
    request.state.actor = actor


def api_key_actor(row: dict[str, Any]) -> Actor:
    description = ((row.get("doc") or {}).get("metaData") or {}).get("attributes", {}).get("description")
    return Actor("api_key", row["id"], description if isinstance(description, str) else None)


def safe_query(raw: bytes) -> str:
    """The query string with the values of secret parameters replaced (the access log's copy)."""
    if not raw:
        return ""
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
    return urlencode([(k, events.REDACTED if k in _SECRET_PARAMS or events.is_secret_key(k) else v) for k, v in pairs])


def new_request_id(scope: Scope) -> str:
    incoming = _header(scope, b"x-request-id")
    if incoming is not None and _VALID_ID.match(incoming):
        return incoming.decode("ascii")
    return f"{_PREFIX}-{next(_counter):x}"


class RequestScope:
    def __init__(self, app: ASGIApp, access_log: bool = True) -> None:
        self.app, self.access_log = app, access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        state = scope.setdefault("state", {})  # one dict shared by every copy of the scope downstream
        rid = state["request_id"] = new_request_id(scope)
        rid_header = (b"x-request-id", rid.encode("ascii"))
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), rid_header]
            await send(message)

        token = events.bind(lambda: context_from_scope(scope))
        id_token = logs.request_id.set(rid)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if self.access_log and access_log.isEnabledFor(logging.INFO):
                self._log(scope, status, time.perf_counter() - started)
            logs.request_id.reset(id_token)
            events.unbind(token)

    @staticmethod
    def _log(scope: Scope, status: int, seconds: float) -> None:
        client = scope.get("client")
        query = safe_query(scope.get("query_string") or b"")
        path = scope.get("path", "") + (f"?{query}" if query else "")
        http = {"method": scope.get("method"), "path": path, "status": status,
                "duration_ms": round(seconds * 1000, 2), "client_ip": client[0] if client else None}
        access_log.info("%s %s %d %.1fms %s", http["method"], path, status, seconds * 1000, http["client_ip"],
                        extra={"http": http})


def registry(request: Request) -> Registry:
    """The process's registry, as every handler reaches it (`app.state.registry`)."""
    reg: Registry = request.app.state.registry
    return reg


def origins(request: Request) -> OriginRegistry:
    """The process's cache of the applications' CORS origins, forgotten when an application changes."""
    cache: OriginRegistry = request.app.state.origins
    return cache
