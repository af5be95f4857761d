"""Access tokens: the JWT claims of API.md, signed with the application's key."""
from __future__ import annotations

import secrets
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


def new_jti(now_ms: int) -> str:
    """A UUIDv7 (RFC 9562 section 5.7): unique, and it carries the issue time to the millisecond,
    which revocation cutoffs compare with (`iat` has only seconds)."""
    value = (now_ms & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | secrets.randbits(12) << 64 | 0b10 << 62 | secrets.randbits(62)
    return str(uuid.UUID(int=value))


def issued_ms(claims: dict[str, Any]) -> int:
    """When a token was issued (epoch ms): from its UUIDv7 `jti`; else from `iat`, as early in
    that second as possible (so a cutoff in the same second refuses it)."""
    jti = claims.get("jti")
    if isinstance(jti, str) and len(jti) == 36 and jti[14] == "7":
        try:
            return int(jti[:8] + jti[9:13], 16)
        except ValueError:
            pass
    iat = claims.get("iat")
    return int(iat) * 1000 if isinstance(iat, (int, float)) and not isinstance(iat, bool) else 0


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
    also summarised as `acr`; absent for tokens no user logged in for (client credentials).
    A user with an `expiry` gets no token that outlives it (so an expired account's tokens stop
    working without a check per use)."""
    policy = token_policy(reg, app)
    now_ms = clock.now_ms()
    now = now_ms // 1000
    exp = now + policy.access_ttl
    expiry = user["doc"].get("expiry")
    if isinstance(expiry, int) and not isinstance(expiry, bool):  # verifiers allow `exp` a leeway
        exp = max(now, min(exp, expiry // 1000 - jwt.LEEWAY_SECONDS))
    claims: dict[str, Any] = {
        "iss": reg.issuer, "iat": now, "exp": exp, "jti": new_jti(now_ms),
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


async def issue_for_client(reg: Registry, app: dict[str, Any], *, cnf: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    """A client-credentials access token (RFC 6749 section 4.4): `sub` is the client. It has its
    own grant id, so RFC 7009 revocation can refuse it. Returns (jwt, claims)."""
    policy = token_policy(reg, app)
    now_ms = clock.now_ms()
    now = now_ms // 1000
    claims: dict[str, Any] = {"iss": reg.issuer, "sub": app["id"], "aud": app["id"], "applicationId": app["id"],
                              "iat": now, "exp": now + policy.access_ttl, "jti": new_jti(now_ms),
                              "authenticationType": "CLIENT_CREDENTIALS", "scope": "", "gid": str(uuid.uuid4())}
    if cnf:
        claims["cnf"] = cnf
    return await jwt.sign(reg.keys, claims, policy.key_id, typ=TYP), claims
