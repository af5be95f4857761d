"""The token response for a user (RFC 6749 section 5.1; OpenID Connect Core 3.1.3.3), shared by
the authorization code and password grants.

A refresh token is issued only when the scope contains `offline_access` and the client may use
the refresh_token grant. With DPoP (RFC 9449 section 5) the access token carries `cnf.jkt` and
`token_type` is `DPoP`; a public client's refresh token is bound to the same key (section 5,
"refresh tokens issued to public clients MUST be bound").
"""
from __future__ import annotations

from typing import Any

from authgate.accounts import token_refusal
from authgate.clock import clock
from authgate.errors import InvalidGrant
from authgate.oauth2.clients import Client
from authgate.registry import Registry
from authgate.tokens import access, id_token, refresh


def token_type(jkt: str | None) -> str:
    return "DPoP" if jkt else "Bearer"


async def user_tokens(reg: Registry, client: Client, user: dict[str, Any], *, scope: str, auth_time: int,
                      auth_type: str, sid: str | None, grant_id: str, jkt: str | None,
                      nonce: str | None = None, amr: tuple[str, ...] | list[str] | None = None) -> dict[str, Any]:
    """Raises invalid_grant when the user may not get tokens for this client (accounts.token_refusal)."""
    scopes = scope.split()
    registration = await reg.db.registrations.get(user["id"], client.client_id)
    why = token_refusal(user, client.app, registration)
    if why is not None:
        raise InvalidGrant("The user may not get tokens for this application.", detail=f"user {user['id']}: {why}")
    cnf = {"jkt": jkt} if jkt else None
    token, exp_ms, _ = await access.issue(reg, user=user, app=client.app, registration=registration, auth_type=auth_type,
                                          auth_time=auth_time, sid=sid, scope=scope, grant_id=grant_id, cnf=cnf,
                                          amr=amr)
    body: dict[str, Any] = {"access_token": token, "token_type": token_type(jkt),
                            "expires_in": max(0, exp_ms // 1000 - int(clock.now())), "scope": scope, "userId": user["id"]}
    if "offline_access" in scopes and "refresh_token" in client.grants:
        doc: dict[str, Any] = {"scope": scope, "auth_time": auth_time, "authenticationType": auth_type,
                               "amr": list(amr or ())}
        if jkt and client.public:
            doc["jkt"] = jkt
        if not client.public:
            doc["confidential"] = True  # usable only with this client's authentication
        body["refresh_token"], row = await refresh.create(reg, user_id=user["id"], app=client.app, session_id=sid,
                                                          doc=doc, family_id=grant_id)
        body["refresh_token_id"] = row["id"]
    if "openid" in scopes:
        body["id_token"] = await id_token.issue(reg, app=client.app, user=user, registration=registration,
                                                auth_time=auth_time, sid=sid, nonce=nonce, access_token=token, amr=amr)
    return body
