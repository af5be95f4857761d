"""Rendering console pages: one Jinja2 environment (autoescaped, so every stored field is inert
text), and the headers every console answer gets.

CSP: scripts and styles only from our own files (`/admin/static/`), nothing inline, no framing
(`frame-ancestors 'none'` and `X-Frame-Options: DENY`), forms post only to us. Pages are never
cached: they show users and secrets.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from authgate.clock import clock

_DIR = Path(__file__).parent
ENV = Environment(loader=FileSystemLoader(_DIR / "templates"), autoescape=select_autoescape(["html"], default=True),
                  auto_reload=False)
STATIC = _DIR / "static"

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    # Same-origin referrers keep `Origin` on our own form posts (ui/csrf.py checks it).
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
}

NAV = (("overview", "/admin/", "Overview"), ("applications", "/admin/applications", "Applications"),
       ("users", "/admin/users", "Users"), ("keys", "/admin/keys", "Signing keys"),
       ("api-keys", "/admin/api-keys", "API keys"), ("audit", "/admin/audit", "Audit log"),
       ("logins", "/admin/logins", "Logins"), ("webhooks", "/admin/webhooks", "Webhooks"))


def _instant(ms: Any) -> str:
    """Epoch milliseconds as UTC text ('-' when absent)."""
    if not isinstance(ms, (int, float)) or isinstance(ms, bool):
        return "-"
    import datetime

    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


ENV.filters["instant"] = _instant
ENV.globals["now_ms"] = clock.now_ms


def render(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = ENV.get_template(template).render(nav=NAV, **context)
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def message(title: str, text: str, status: int, **context: Any) -> HTMLResponse:
    """A page with one message (refusals, expired forms), outside the signed-in layout."""
    return render("message.html", status=status, title=title, text=text, **context)
