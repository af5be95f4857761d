"""`/admin/callback` (the console's OAuth redirect URI), `/admin/logout` and the static files.

The callback redeems the code with the same function `/oauth2/token` dispatches to
(`oauth2/grants/authorization_code.grant`), as the console's own confidential client, and reads
the user and the IdP session (`sid`) from the verified access token.
"""
from __future__ import annotations

import hmac
import logging
import secrets
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from authgate import revocation
from authgate.admin.render import STATIC, message
from authgate.admin.session import (
    mfa_required, registry, require_session_form, session_cookie, signed_in_page, tx_cookie,
)
from authgate.console import CONSOLE_APP_ID, callback_uri
from authgate.errors import OAuthError
from authgate.oauth2.clients import find_client
from authgate.oauth2.grants import authorization_code
from authgate.oauth2.params import Params
from authgate.tokens import access, jwt
from authgate.web import cookies
from authgate.web.cookies import is_https

router = APIRouter()
log = logging.getLogger("authgate.admin")

_FAILED = "The sign-in did not complete. Open the console again to retry."
_STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}


def _refused(reason: str) -> Response:
    log.info("console sign-in failed: %s", reason)
    return message("Sign-in failed", _FAILED, 400, link=("/admin/", "Open the console"))


@router.get("/admin/callback", include_in_schema=False)
async def callback(request: Request) -> Response:
    reg = registry(request)
    q = request.query_params
    state, verifier = (request.cookies.get(tx_cookie(request)) or ".").partition(".")[::2]
    if q.get("error"):
        return _refused(f"authorize answered {q.get('error', '')[:40]!r}")
    if not state or not hmac.compare_digest((q.get("state") or "").encode(), state.encode()):
        return _refused("state missing or different from the login transaction")
    client = await find_client(reg, CONSOLE_APP_ID)
    if client is None:
        return _refused("the console application is missing or inactive")
    params = Params((("code", q.get("code") or ""), ("redirect_uri", callback_uri(reg)), ("code_verifier", verifier)))
    try:
        tokens = await authorization_code.grant(reg, client, params, None)
        claims = await jwt.verify(reg.keys, tokens["access_token"], issuer=reg.issuer, audience=CONSOLE_APP_ID,
                                  typ=access.TYP)
    except (OAuthError, jwt.TokenInvalid) as exc:
        return _refused(f"code exchange: {exc}")
    if await mfa_required(reg) and "mfa" not in (claims.get("amr") or []):
        log.info("console sign-in of user %s refused: the console requires MFA, amr=%s", claims.get("sub"), claims.get("amr"))
        return message("Second factor required", "The admin console requires a second factor. Set one up on your "
                       "account page, then open the console again.", 403, link=("/admin/", "Open the console"))
    token = secrets.token_urlsafe(32)
    await reg.db.admin_sessions.create(token, str(claims["sub"]), claims.get("sid"), reg.settings.admin_session_ttl_seconds)
    response = signed_in_page()
    response.set_cookie(session_cookie(request), token, path="/", httponly=True, samesite="strict",
                        secure=is_https(request))
    response.delete_cookie(tx_cookie(request), path="/admin/callback", httponly=True, samesite="lax",
                           secure=is_https(request))
    return response


@router.post("/admin/logout", include_in_schema=False)
async def logout(request: Request, session: dict[str, Any] = Depends(require_session_form)) -> Response:
    """Ends the console session and the IdP login it came from (else the next visit signs in
    silently). Open to a signed-in non-admin too: the 403 page offers it."""
    reg = registry(request)
    await reg.db.admin_sessions.delete(session["id"])
    if session["sso_session_id"]:
        await revocation.end_session(reg, session["sso_session_id"])
    response = message("Signed out", "You have signed out of the admin console.", 200, link=("/admin/", "Sign in again"))
    response.delete_cookie(session_cookie(request), path="/", httponly=True, samesite="strict", secure=is_https(request))
    cookies.clear_cookie(request, response, cookies.SSO)
    return response


@router.get("/admin/static/{name}", include_in_schema=False)
async def static(name: str) -> Response:
    path = STATIC / name
    kind = _STATIC_TYPES.get(path.suffix)
    if kind is None or "/" in name or not path.is_file():
        return Response(status_code=404)
    headers: dict[str, Any] = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
    return Response(path.read_bytes(), media_type=kind, headers=headers)
