"""Rendering the hosted pages: one Jinja2 environment loaded once, and the headers every page gets.

Pages are plain HTML + CSS; the few that need the browser's WebAuthn API load small ES modules
from ui/static/ (`script-src 'self'`, never inline script). Headers: no framing (`X-Frame-Options: DENY`,
`frame-ancestors 'none'`), no referrer (`no-referrer`: the URL may carry authorize parameters),
never cached (web/no_store.py). Under `no-referrer` Chromium sends `Origin: null` on the login form's own POST;
ui/csrf.py treats that as "origin unknown" and relies on its SameSite=Strict CSRF token.
The stylesheet is inline and allowed by its hash, so the CSP needs no 'unsafe-inline'.
"""
from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from authgate.web.cross_site import origin_of

_DIR = Path(__file__).parent
ENV = Environment(loader=FileSystemLoader(_DIR / "templates"), autoescape=select_autoescape(["html"]),
                  auto_reload=False)
CSS = (_DIR / "templates" / "style.css").read_text()
_CSS_HASH = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()


def security_headers(form_targets: tuple[str, ...] = (), scripts: bool = False) -> dict[str, str]:
    """`form_targets`: origins a form on the page may post or be redirected to (CSP form-action).
    `scripts`: the page loads our own ES modules (ui/static/, never inline script)."""
    form_action = " ".join(("'self'", *sorted({origin_of(u) for u in form_targets})))
    script_src = "script-src 'self'; " if scripts else ""
    return {
        "Content-Security-Policy": (f"default-src 'none'; {script_src}style-src 'sha256-{_CSS_HASH}'; "
                                    f"form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"),
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }


def render(template: str, status: int = 200, form_targets: tuple[str, ...] = (), scripts: bool = False,
           **context: Any) -> HTMLResponse:
    html = ENV.get_template(template).render(css=CSS, scripts=scripts, **context)
    return HTMLResponse(html, status_code=status, headers=security_headers(form_targets, scripts))


def error_page(message: str, status: int = 400) -> HTMLResponse:
    return render("error.html", status=status, message=message)
