"""`GET/POST /oauth2/userinfo` (OpenID Connect Core 5.3): claims about the token's user.

The access token needs the `openid` scope (else 403 `insufficient_scope`, RFC 6750 section 3.1).
Claims follow the scopes (section 5.4): always `sub`; `email`, `email_verified` with `email`;
`preferred_username` with `profile`.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from authgate.accounts import token_refusal
from authgate.errors import OAuthError
from authgate.oauth2.bearer import authorized_claims, invalid_token
from authgate.tokens.access import user_claims
from authgate.web.context import registry

router = APIRouter()

_BY_SCOPE = {"email": ("email", "email_verified"), "profile": ("preferred_username",)}


class InsufficientScope(OAuthError):
    error = "insufficient_scope"
    status_code = 403


@router.get("/oauth2/userinfo")
@router.post("/oauth2/userinfo")
async def userinfo(request: Request) -> JSONResponse:
    reg = registry(request)
    claims = await authorized_claims(reg, request)
    scopes = str(claims.get("scope") or "").split()
    if "openid" not in scopes:
        raise InsufficientScope("The access token lacks the openid scope.",
                                headers={"WWW-Authenticate": 'Bearer realm="authgate", error="insufficient_scope"'})
    app_id = claims.get("applicationId")
    user, registration = await reg.db.users.get_with_registration(str(claims.get("sub")), str(app_id))
    app = await reg.apps.get(app_id) if isinstance(app_id, str) else None
    why = token_refusal(user, app, registration)
    if why is not None or user is None:
        raise invalid_token("Bearer", f"userinfo: {why}")
    available = user_claims(user, None)
    body = {"sub": user["id"]}
    for scope, names in _BY_SCOPE.items():
        if scope in scopes:
            body.update({n: available[n] for n in names if n in available})
    return JSONResponse(body)  # never cached: web/no_store.py
