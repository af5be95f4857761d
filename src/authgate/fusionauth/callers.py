"""Who is calling a self-service API: an API key acting on a user named in the path, or the user
themselves with their access token (`Authorization: Bearer <JWT>`), as FusionAuth's two-factor
and WebAuthn APIs allow."""
from __future__ import annotations

from typing import Any

from fastapi import Request

from authgate.errors import not_found, unauthorized
from authgate.fusionauth.auth import api_key, registry
from authgate.fusionauth.jwt_api import validate_access_token
from authgate.tokens import jwt

MAX_ID_CHARS = 64


async def bearer_user_id(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() != "bearer ":
        return None
    try:
        claims = await validate_access_token(registry(request), header[7:].strip())
    except jwt.TokenInvalid:
        return None
    return str(claims["sub"])


async def target_user(request: Request, user_id: Any) -> dict[str, Any]:
    """The user this call acts on: `user_id` with an API key, or the JWT's own user. 401 if
    neither credential is valid, 404 for an unknown user."""
    if user_id is not None:
        if await api_key(request) is None:
            raise unauthorized()
    else:
        user_id = await bearer_user_id(request)
        if user_id is None:
            raise unauthorized()
    if not isinstance(user_id, str) or len(user_id) > MAX_ID_CHARS:
        raise not_found("user")
    user = await registry(request).db.users.get(user_id)
    if user is None:
        raise not_found("user")
    return user


async def key_or_bearer(request: Request) -> None:
    if await api_key(request) is None and await bearer_user_id(request) is None:
        raise unauthorized()
