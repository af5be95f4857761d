"""Response headers and request checks that every example page gets."""
from __future__ import annotations

from typing import Any

from fastapi import Request

from .config import ExampleConfig
from .errors import ApiError


def content_security_policy(cfg: ExampleConfig) -> str:
    """Strict by default: only our own scripts run, and the page may talk only to itself and
    the IdP. The vulnerable demo build allows inline script (so the `?xss=` payload's event
    handlers execute) and any connect target (so the payload can exfiltrate) -- exactly what the
    attack demos need and nothing a real app should ship."""
    if cfg.vulnerable_demo:
        script, connect = "'self' 'unsafe-inline'", "*"
    else:
        script, connect = "'self'", f"'self' {cfg.idp_origin}"
    return "; ".join([
        "default-src 'self'",
        f"script-src {script}",
        "style-src 'self'",
        "img-src 'self' data:",
        f"connect-src {connect}",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
        "form-action 'self'",
    ])


def security_headers(cfg: ExampleConfig) -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(cfg),
        "X-Content-Type-Options": "nosniff",
        # The callback URL carries ?code=...&state=...; never leak it to another site.
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
    }


class SecurityHeaders:
    """Pure ASGI middleware adding `security_headers` (replacing any of the same name) to every
    response, and `Cache-Control: no-store` to /api/ responses that set none. Plain ASGI rather
    than `@app.middleware("http")`, which wraps each request in an extra task and stream."""

    def __init__(self, app: Any, headers: dict[str, str]) -> None:
        self.app = app
        self.headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        self.names = {k for k, _ in self.headers}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        api = scope["path"].startswith("/api/")

        async def add_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in self.names]
                headers += self.headers
                if api and not any(k.lower() == b"cache-control" for k, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, add_headers)


def require_same_origin(request: Request, cfg: ExampleConfig) -> None:
    """CSRF defence for state-changing calls. store.* and forums.* are the *same site*, so
    SameSite=Strict cookies alone would still ride along on a POST from the other app; browsers
    always send Origin on a cross-origin POST, so we refuse any Origin that is not ours."""
    origin = request.headers.get("origin")
    if origin is not None and origin != cfg.origin:
        raise ApiError(403, "csrf_rejected", "Cross-origin request refused")
