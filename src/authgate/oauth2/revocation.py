"""`POST /oauth2/revoke` (RFC 7009).

Revoking any token revokes its whole grant: a refresh token's family and every access token
carrying its `gid`; an access token's grant likewise (section 2.1 allows revoking related
tokens). Unknown, expired or malformed tokens get 200 (section 2.2): the client's goal is met.
A token of another client is refused (`unauthorized_client`) and nothing is revoked.
"""
from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response

from authgate.shapes import TOKEN_HINT_FORM, form_body
from authgate import events
from authgate.errors import InvalidRequest, UnauthorizedClient
from authgate.oauth2 import client_auth, params as oauth_params
from authgate.registry import Registry
from authgate.revocation import revoke_grant
from authgate.tokens import jwt
from authgate.web.context import registry

router = APIRouter()
log = logging.getLogger("authgate.revoke")


async def _grant_of(reg: Registry, token: str) -> tuple[str | None, str | None]:
    """(grant id, client id) of a token issued here, or (None, None)."""
    if token.count(".") == 2:
        try:
            claims = await jwt.verify(reg.keys, token, issuer=reg.issuer, allow_expired=True)
        except jwt.TokenInvalid:
            return None, None
        return claims.get("gid"), claims.get("aud")
    row = await reg.db.refresh_tokens.find_by_token(token) if len(token) <= 512 else None
    return (row["family_id"], row["application_id"]) if row else (None, None)


@router.post("/oauth2/revoke", openapi_extra=form_body(TOKEN_HINT_FORM))
async def revoke(request: Request) -> Response:
    reg = registry(request)
    params = await oauth_params.read(request, query=False, declared=TOKEN_HINT_FORM)
    params.check_all()
    client = (await client_auth.authenticate(reg, request, params)).client
    token = params.get("token")
    if token is None:
        raise InvalidRequest("The token parameter is required.")
    grant_id, owner = await _grant_of(reg, token)
    if owner is not None and owner != client.client_id:
        raise UnauthorizedClient("The token was not issued to this client.",
                                 detail=f"{client.client_id} tried to revoke a token of {owner}")
    if grant_id:
        count = await revoke_grant(reg, grant_id)
        log.info("grant %s revoked by %s (%d refresh tokens)", grant_id, client.client_id, count)
        await events.emit(reg, events.REFRESH_TOKEN_REVOKE, application_id=client.client_id,
                          payload={"grantId": grant_id, "refreshTokens": count})
    return Response(status_code=200)
