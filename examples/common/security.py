"""Response headers and request checks that every example page gets."""
from __future__ import annotations

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


def require_same_origin(request: Request, cfg: ExampleConfig) -> None:
    """CSRF defence for state-changing calls. store.* and forums.* are the *same site*, so
    SameSite=Strict cookies alone would still ride along on a POST from the other app; browsers
    always send Origin on a cross-origin POST, so we refuse any Origin that is not ours."""
    origin = request.headers.get("origin")
    if origin is not None and origin != cfg.origin:
        raise ApiError(403, "csrf_rejected", "Cross-origin request refused")
