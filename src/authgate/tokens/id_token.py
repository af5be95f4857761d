"""ID tokens (OpenID Connect Core 2, 3.1.3.6, 3.2.2.10).

Claims: `iss`, `sub`, `aud` and `azp` (the client id), `exp`, `iat`, `auth_time` (the real login
time), `sid` (the SSO session), `nonce` when the request had one, `at_hash` when issued with an
access token, `amr` and `acr` (the factors of the login, authgate/mfa/amr.py), plus the user's `email`, `email_verified`, `preferred_username`.
"""
from __future__ import annotations

import base64
import hashlib
from typing import Any

from authgate.clock import clock
from authgate.mfa.amr import acr as acr_of
from authgate.registry import Registry
from authgate.tokens import jwt
from authgate.tokens.access import user_claims
from authgate.tokens.policy import token_policy


def at_hash(access_token: str) -> str:
    """Section 3.2.2.9: base64url of the left half of SHA-256 (our RS256/ES256 keys both hash with it)."""
    half = hashlib.sha256(access_token.encode("ascii")).digest()[:16]
    return base64.urlsafe_b64encode(half).rstrip(b"=").decode()


async def issue(reg: Registry, *, app: dict[str, Any], user: dict[str, Any], registration: dict[str, Any] | None,
                auth_time: int, sid: str | None, nonce: str | None = None, access_token: str | None = None,
                amr: tuple[str, ...] | list[str] | None = None) -> str:
    policy = token_policy(reg, app)
    now = int(clock.now())
    claims: dict[str, Any] = {k: v for k, v in user_claims(user, registration).items() if k != "roles"}
    claims.update({"iss": reg.issuer, "aud": app["id"], "azp": app["id"], "iat": now,
                   "exp": now + policy.access_ttl, "auth_time": auth_time})
    if sid:
        claims["sid"] = sid
    if nonce:
        claims["nonce"] = nonce
    if access_token:
        claims["at_hash"] = at_hash(access_token)
    if amr:  # section 2: how the user authenticated (RFC 8176 values) and the level that makes
        claims["amr"], claims["acr"] = list(amr), acr_of(amr)
    return await jwt.sign(reg.keys, claims, policy.id_token_key_id or policy.key_id)
