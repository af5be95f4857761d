"""The client credentials grant (RFC 6749 section 4.4): a confidential client gets an access token
for itself (`sub` = client id). No refresh token (section 4.4.3). Off unless `enabledGrants` lists it.
Scopes are user scopes here, so none may be requested.
"""
from __future__ import annotations

import uuid
from typing import Any

from authgate.clock import clock
from authgate.errors import InvalidScope, UnauthorizedClient
from authgate.oauth2.clients import Client
from authgate.oauth2.grants.issue import token_type
from authgate.oauth2.params import Params
from authgate.registry import Registry
from authgate.tokens import access, jwt
from authgate.tokens.policy import token_policy


async def grant(reg: Registry, client: Client, params: Params, jkt: str | None) -> dict[str, Any]:
    if client.public:
        raise UnauthorizedClient("Public clients cannot use client credentials.", detail=f"public {client.client_id}")
    if params.get("scope") is not None:
        raise InvalidScope("No scope is available with client credentials.", detail="scope with client_credentials")
    policy = token_policy(client.app["doc"], reg.settings)
    now = int(clock.now())
    claims: dict[str, Any] = {"iss": reg.issuer, "sub": client.client_id, "aud": client.client_id,
                              "applicationId": client.client_id, "iat": now, "exp": now + policy.access_ttl,
                              "jti": str(uuid.uuid4()), "authenticationType": "CLIENT_CREDENTIALS", "scope": ""}
    if jkt:
        claims["cnf"] = {"jkt": jkt}
    token = await jwt.sign(reg.keys, claims, policy.key_id, typ=access.TYP)
    return {"access_token": token, "token_type": token_type(jkt), "expires_in": policy.access_ttl, "scope": ""}
