"""Access tokens: the JWT claims of API.md, signed with the application's key."""
from __future__ import annotations

import uuid
from typing import Any

from authgate.clock import clock
from authgate.mfa.amr import acr as acr_of
from authgate.registry import Registry
from authgate.tokens import jwt
from authgate.tokens.policy import token_policy


# RFC 9068 section 2.1: an access token says what it is in its header, so no verifier can take an
# id_token (typ JWT, OpenID Connect Core 2) or any other JWT signed by the same key for one. Every
# verifier checks it: tokens/jwt.verify(typ=...) here, and the example apps' own verifier.
TYP = "at+jwt"


def is_access_token(claims: dict[str, Any]) -> bool:
    """Every access token issued here says how it was obtained (`authenticationType`, as in
    FusionAuth's); an id_token does not. An id_token is no credential for an API (OpenID Connect
    Core 2: it is for the client), and an access token is no `id_token_hint`."""
    return "authenticationType" in claims


def user_claims(user: dict[str, Any], registration: dict[str, Any] | None) -> dict[str, Any]:
    doc = user["doc"]
    claims: dict[str, Any] = {"sub": user["id"]}
    if user.get("email"):
        claims["email"] = doc.get("email", user["email"])
        claims["email_verified"] = bool(doc.get("verified", True))
    username = (registration or {}).get("doc", {}).get("username") or doc.get("username")
    if username:
        claims["preferred_username"] = username
    claims["roles"] = list((registration or {}).get("doc", {}).get("roles") or [])
    return claims


async def issue(reg: Registry, *, user: dict[str, Any], app: dict[str, Any] | None, registration: dict[str, Any] | None,
                auth_type: str, auth_time: int | None = None, sid: str | None = None, scope: str | None = None,
                grant_id: str | None = None, cnf: dict[str, Any] | None = None,
                amr: tuple[str, ...] | list[str] | None = None) -> tuple[str, int, dict[str, Any]]:
    """Returns (jwt, expiration instant in ms, claims). `amr`: the factors of the login (RFC 8176),
    also summarised as `acr`; absent for tokens no user logged in for (client credentials)."""
    policy = token_policy(app["doc"] if app else None, reg.settings)
    now = int(clock.now())
    claims: dict[str, Any] = {
        "iss": reg.issuer, "iat": now, "exp": now + policy.access_ttl, "jti": str(uuid.uuid4()),
        "auth_time": auth_time or now, "authenticationType": auth_type,
        **user_claims(user, registration),
    }
    if app is not None:
        claims["aud"] = app["id"]
        claims["applicationId"] = app["id"]
    if sid:
        claims["sid"] = sid
    if scope is not None:
        claims["scope"] = scope
    if grant_id:
        claims["gid"] = grant_id
    if cnf:
        claims["cnf"] = cnf
    if amr:
        claims["amr"], claims["acr"] = list(amr), acr_of(amr)
    token = await jwt.sign(reg.keys, claims, policy.key_id, typ=TYP)
    return token, claims["exp"] * 1000, claims
