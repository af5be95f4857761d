"""The client credentials grant (RFC 6749 section 4.4): a confidential client gets an access token
for itself (`sub` = client id). No refresh token (section 4.4.3). Off unless `enabledGrants` lists it.
Scopes are user scopes here, so none may be requested. The token has its own grant id (`gid`),
so `/oauth2/revoke` (RFC 7009) can revoke it.
"""
from __future__ import annotations

from typing import Any

from authgate.errors import InvalidScope, UnauthorizedClient
from authgate.oauth2.clients import Client
from authgate.oauth2.grants.issue import token_type
from authgate.oauth2.params import Params
from authgate.registry import Registry
from authgate.tokens import access


async def grant(reg: Registry, client: Client, params: Params, jkt: str | None) -> dict[str, Any]:
    if client.public:
        raise UnauthorizedClient("Public clients cannot use client credentials.", detail=f"public {client.client_id}")
    if params.get("scope") is not None:
        raise InvalidScope("No scope is available with client credentials.", detail="scope with client_credentials")
    token, claims = await access.issue_for_client(reg, client.app, cnf={"jkt": jkt} if jkt else None)
    return {"access_token": token, "token_type": token_type(jkt), "expires_in": claims["exp"] - claims["iat"], "scope": ""}
