"""The refresh token grant (RFC 6749 section 6; RFC 9700 section 4.14), through the same
`tokens.refresh.exchange` as FusionAuth's /api/jwt/refresh: rotation, reuse detection, the
client check and DPoP binding live there once.

A narrower `scope` may be requested; a wider one is `invalid_scope` (section 6).
"""
from __future__ import annotations

from typing import Any

from authgate.clock import clock
from authgate.errors import InvalidGrant, InvalidRequest, InvalidScope
from authgate.oauth2.authorize.check_scope import parse_scope
from authgate.oauth2.clients import Client
from authgate.oauth2.grants.issue import token_type
from authgate.oauth2.params import Params
from authgate.registry import Registry
from authgate.tokens.refresh import RefreshError, exchange, find

_GENERIC = "The refresh token is invalid, expired or revoked."


async def grant(reg: Registry, client: Client, params: Params, jkt: str | None) -> dict[str, Any]:
    token = params.get("refresh_token")
    if token is None:
        raise InvalidRequest("The refresh_token parameter is required.")
    found = await find(reg, token)
    row = found[0] if found is not None else None
    scope = None
    # Only the owner's scope is compared: another client's token must fail as invalid_grant in
    # `exchange`, without learning whether it exists or what it was granted.
    if params.get("scope") is not None and row is not None and row["application_id"] == client.client_id:
        granted = set((row["doc"].get("scope") or "").split())
        requested = parse_scope(params.get("scope"))
        if not set(requested) <= granted:
            raise InvalidScope("The requested scope exceeds the scope originally granted.", detail=f"{requested} > {granted}")
        scope = " ".join(requested)
    try:
        result = await exchange(reg, token, client_id=client.client_id, dpop_jkt=jkt, scope=scope, found=found)
    except RefreshError as exc:
        raise InvalidGrant(_GENERIC, reason=f"refresh_token_{exc.reason}", detail=f"refresh refused: {exc.reason}") from None
    bound = (result.claims.get("cnf") or {}).get("jkt")
    return {"access_token": result.token, "token_type": token_type(bound),
            "expires_in": max(0, result.expires_instant // 1000 - int(clock.now())),
            "scope": result.claims.get("scope", ""), "refresh_token": result.refresh_token,
            "refresh_token_id": result.refresh_token_id, "userId": result.claims["sub"]}
