"""Who is using the console: its own server-side session, started by an OAuth login.

The console is an OAuth client of this very server (RFC 6749 section 4.1 with PKCE S256, RFC
7636): a visitor without a session is sent to `/oauth2/authorize` -- the hosted login, SSO and
MFA as for any application -- and comes back to `/admin/callback`, where the code is redeemed by
the same grant function `/oauth2/token` runs. The console then keeps its own session: an opaque
random cookie whose digest names an `admin_sessions` row; tokens never reach the browser.

Cookies (RFC 6265bis):
- the session: `__Host-authgate.admin` over https (`authgate.admin` over http), HttpOnly,
  SameSite=Strict: no request started by another site ever carries it, so a cross-site page can
  neither post to nor embed the console as the administrator. Because a redirect chain started
  by another site stays cross-site for Strict cookies, the callback answers a small page that
  moves on to `/admin/` by itself (a same-origin navigation) instead of a 302 that could loop.
- the login transaction (state + PKCE verifier): SameSite=Lax, Path=/admin/callback, ten
  minutes: it must survive the top-level redirect back from the login page.

Every request re-checks: session live (absolute and idle limits), the IdP login it came from not
ended, the user still an active administrator (authgate/console.py). A signed-in user without
the admin role gets 403 on every page. Form posts need the session's CSRF token and a
same-origin browser (ui/csrf.py).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from authgate.clock import clock
from authgate.console import CONSOLE_APP_ID, callback_uri, is_admin
from authgate.events import Actor
from authgate.mfa.amr import ACR_MFA
from authgate.mfa.policy import REQUIRED, login_policy
from authgate.registry import Registry
from authgate.ui import csrf
from authgate.admin.render import message
from authgate.web.context import set_actor
from authgate.web.cookies import is_https
from authgate.web.errors import Answer

log = logging.getLogger("authgate.admin")

TX_MAX_AGE = 600
MAX_FORM_BYTES = 64 * 1024
TOUCH_EVERY_MS = 60_000  # idle-time bookkeeping: at most one write a minute per session


def session_cookie(request: Request) -> str:
    return "__Host-authgate.admin" if is_https(request) else "authgate.admin"


def tx_cookie(request: Request) -> str:
    return "__Secure-authgate.admin.tx" if is_https(request) else "authgate.admin.tx"


class ConsoleExit(Answer):
    """Stop handling and answer this page (a redirect to log in, a 401 or a 403)."""


@dataclass(frozen=True)
class Admin:
    """A signed-in administrator on one request."""

    reg: Registry
    user: dict[str, Any]
    session: dict[str, Any]

    @property
    def csrf_token(self) -> str:
        return str(self.session["csrf_token"])

    @property
    def actor(self) -> str:
        return str(self.user["id"])


def registry(request: Request) -> Registry:
    reg: Registry = request.app.state.registry
    return reg


async def _live_session(reg: Registry, request: Request) -> dict[str, Any] | None:
    token = request.cookies.get(session_cookie(request)) or ""
    if not token or len(token) > 64:
        return None
    row = await reg.db.admin_sessions.find_live(token, reg.settings.admin_session_idle_seconds)
    if row is None:
        return None
    if row["sso_session_id"]:
        sso_row = await reg.db.sso_sessions.get(row["sso_session_id"])
        if sso_row is None or sso_row["revoked_instant"] is not None or sso_row["expires_instant"] <= clock.now_ms():
            await reg.db.admin_sessions.delete(row["id"])  # logged out of the IdP: out of the console too
            return None
    if clock.now_ms() - row["last_seen_instant"] > TOUCH_EVERY_MS:
        await reg.db.admin_sessions.touch(row["id"])
    return row


async def mfa_required(reg: Registry) -> bool:
    """The console application's MFA login policy says Required (mfa/policy.py)."""
    return login_policy(await reg.apps.get(CONSOLE_APP_ID)) == REQUIRED


async def _login_redirect(request: Request) -> Response:
    """Start code + PKCE S256 against our own authorize endpoint (RFC 7636 section 4). When the
    console's application requires MFA it also asks for it by `acr_values` (OpenID Connect Core
    3.1.2.1), so an SSO session from a password-only login steps up instead of slipping through."""
    reg = registry(request)
    state, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    params = {"client_id": CONSOLE_APP_ID, "response_type": "code", "redirect_uri": callback_uri(reg),
              "scope": "openid", "state": state, "code_challenge": challenge, "code_challenge_method": "S256"}
    if await mfa_required(reg):
        params["acr_values"] = ACR_MFA
    query = urlencode(params)
    response = RedirectResponse(f"{reg.issuer}/oauth2/authorize?{query}", status_code=302,
                                headers={"Cache-Control": "no-store"})
    response.set_cookie(tx_cookie(request), f"{state}.{verifier}", max_age=TX_MAX_AGE, path="/admin/callback",
                        httponly=True, samesite="lax", secure=is_https(request))
    return response


async def _signed_in(request: Request) -> tuple[dict[str, Any], dict[str, Any]]:
    """(session, user) of the caller, or ConsoleExit: a login redirect for a page, 401 for a post."""
    reg = registry(request)
    row = await _live_session(reg, request)
    user = await reg.db.users.get(row["user_id"]) if row is not None else None
    if row is None or user is None:
        if request.method in ("GET", "HEAD"):
            raise ConsoleExit(await _login_redirect(request))
        raise ConsoleExit(message("Signed out", "Your console session has ended. Sign in again.", 401,
                                  link=("/admin/", "Sign in")))
    return row, user


async def require_admin(request: Request) -> Admin:
    """Dependency of every console page: a signed-in administrator, or a refusal page."""
    row, user = await _signed_in(request)
    reg = registry(request)
    if not await is_admin(reg, user["id"]):
        log.info("console refused to user %s: not an administrator", user["id"])
        raise ConsoleExit(message("Not an administrator",
                                  "Your account may not use the admin console. Ask an administrator for the admin role.",
                                  403, csrf_token=row["csrf_token"], signed_in=True))
    # Every event this request emits names the administrator (authgate.events, web/context.py).
    set_actor(request, Actor("admin", user["id"], user.get("email") or user.get("username")))
    return Admin(reg, user, row)


class Form:
    """A urlencoded form post: every value of each field, in order."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.values: dict[str, list[str]] = {}
        for key, value in pairs:
            self.values.setdefault(key, []).append(value)

    def get(self, name: str, default: str = "") -> str:
        return self.values.get(name, [default])[0].strip()

    def getlist(self, name: str) -> list[str]:
        return self.values.get(name, [])

    def lines(self, name: str) -> list[str]:
        """A textarea of one value per line."""
        return [line.strip() for line in self.get(name).splitlines() if line.strip()]

    def checked(self, name: str) -> bool:
        return name in self.values


async def read_form(request: Request) -> Form:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await request.body()
    if ctype != "application/x-www-form-urlencoded" or len(raw) > MAX_FORM_BYTES:
        raise ConsoleExit(message("Request refused", "The form could not be read.", 400))
    try:
        return Form(parse_qsl(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=500))
    except (UnicodeDecodeError, ValueError):
        raise ConsoleExit(message("Request refused", "The form could not be read.", 400)) from None


async def _checked_form(request: Request, session: dict[str, Any]) -> Form:
    """The post's form, if it carries the session's CSRF token and the browser says it came from
    our own origin; else a 403 page."""
    form = await read_form(request)
    foreign = csrf.foreign_origin(request, registry(request).issuer)
    token = form.get(csrf.FIELD)
    if foreign is not None or not hmac.compare_digest(token.encode(), str(session["csrf_token"]).encode()):
        log.warning("console post refused for user %s: %s", session["user_id"], foreign or "CSRF token mismatch")
        raise ConsoleExit(message("Request refused", "This form expired or came from another site. Reload the page and try again.",
                                  403, link=("/admin/", "Back to the console")))
    return form


async def require_admin_form(request: Request) -> tuple[Admin, Form]:
    """Dependency of every console form post: an administrator and a checked form."""
    admin = await require_admin(request)
    return admin, await _checked_form(request, admin.session)


async def require_session_form(request: Request) -> dict[str, Any]:
    """Signing out: any signed-in user (an administrator or not) with a checked form."""
    row, _ = await _signed_in(request)
    await _checked_form(request, row)
    return row


def missing(admin: Admin, what: str, listing: str) -> ConsoleExit:
    """A 404 page for an id in the URL that names nothing (`what`: "application"), linking back."""
    return ConsoleExit(message("Not found", f"There is no such {what}.", 404, admin=admin, csrf_token=admin.csrf_token,
                               link=(listing, f"All {what}s")))


def see_other(path: str, notice: str | None = None) -> Response:
    """Post/redirect/get; `notice` is shown once on the next page (a query parameter of fixed words)."""
    return RedirectResponse(path + (f"?done={notice}" if notice else ""), status_code=303)


def signed_in_page(next_path: str = "/admin/") -> HTMLResponse:
    return message("Signed in", "Opening the console...", 200, refresh=next_path, link=(next_path, "Continue"))
