"""`POST /oauth2/introspect` (RFC 7662): is this token active, and for whom?

Only authenticated (confidential) clients may ask, and only about their own tokens: a token
issued to another client, revoked, expired, unknown or malformed is just `{"active": false}`
(section 2.2). Access tokens report their DPoP binding (`cnf`, RFC 9449 section 6.2).
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from authgate.shapes import TOKEN_HINT_FORM, form_body
from authgate.clock import clock
from authgate.errors import InvalidRequest
from authgate.oauth2 import client_auth, params as oauth_params
from authgate.oauth2.clients import Client
from authgate.registry import Registry
from authgate.tokens import jwt
from authgate.tokens.validation import validate_access_token
from authgate.web.context import registry

router = APIRouter()
INACTIVE: dict[str, Any] = {"active": False}
_ACCESS_CLAIMS = ("scope", "sub", "aud", "iss", "exp", "iat", "jti", "sid", "auth_time", "cnf", "applicationId", "roles")


def _looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2


async def _access_token(reg: Registry, client: Client, token: str) -> dict[str, Any]:
    try:
        claims = await validate_access_token(reg, token)
    except jwt.TokenInvalid:
        return INACTIVE
    if claims.get("aud") != client.client_id:
        return INACTIVE
    out = {"active": True, "client_id": client.client_id,
           "token_type": "DPoP" if (claims.get("cnf") or {}).get("jkt") else "Bearer"}
    out.update({k: claims[k] for k in _ACCESS_CLAIMS if k in claims})
    return out


async def _refresh_token(reg: Registry, client: Client, token: str) -> dict[str, Any]:
    row = await reg.db.refresh_tokens.find_by_token(token) if len(token) <= 512 else None
    if (row is None or row["application_id"] != client.client_id or row["revoked_instant"] is not None
            or row["used_instant"] is not None or row["expires_instant"] <= clock.now_ms()):
        return INACTIVE
    out: dict[str, Any] = {"active": True, "client_id": client.client_id, "token_type": "refresh_token",
                           "sub": row["user_id"], "exp": row["expires_instant"] // 1000, "iat": row["insert_instant"] // 1000,
                           "iss": reg.issuer, "scope": row["doc"].get("scope", "")}
    if row["doc"].get("jkt"):
        out["cnf"] = {"jkt": row["doc"]["jkt"]}
    return out


@router.post("/oauth2/introspect", openapi_extra=form_body(TOKEN_HINT_FORM))
async def introspect(request: Request) -> JSONResponse:
    reg = registry(request)
    params = await oauth_params.read(request, query=False, declared=TOKEN_HINT_FORM)
    params.check_all()
    client = (await client_auth.authenticate(reg, request, params, allow_public=False)).client
    token = params.get("token")
    if token is None:
        raise InvalidRequest("The token parameter is required.")
    body = await (_access_token if _looks_like_jwt(token) else _refresh_token)(reg, client, token)
    return JSONResponse(body)  # never cached: web/no_store.py
