"""Who is calling a self-service API: an API key acting on a user named in the path, or the user
themselves with their access token (`Authorization: Bearer <JWT>`), as FusionAuth's two-factor
and WebAuthn APIs allow."""
from __future__ import annotations

from typing import Any

from fastapi import Request

from authgate.errors import InvalidToken, not_found, unauthorized
from authgate.fusionauth.auth import api_key, registry

MAX_ID_CHARS = 64


async def bearer_user_id(request: Request) -> str | None:
    """The user of the access token in the Authorization header, presented as at every resource
    (oauth2/bearer.py: a DPoP-bound token only with its proof); None for anything else."""
    from authgate.oauth2.bearer import authorized_claims  # bearer imports the fusionauth layer

    if request.headers.get("authorization", "").split(" ", 1)[0].lower() not in ("bearer", "dpop"):
        return None
    try:
        claims = await authorized_claims(registry(request), request)
    except InvalidToken:
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
