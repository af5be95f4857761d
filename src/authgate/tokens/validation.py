"""Validating an access token issued here: the one check behind FusionAuth's `/api/jwt/validate`,
RFC 6750 bearer use (userinfo) and RFC 7662 introspection.

Live means: signature, `iss` and `exp` hold (tokens/jwt.py), it is an access token and not an
id_token (typed `at+jwt`, RFC 9068, and tokens/access.is_access_token), and no revocation refuses it (revocation.refusal: its
grant, its SSO session, or a cutoff for its user, application or registration -- deleted,
deactivated or expired users included). No database read per validation: revocation records are
cached for at most a second.
"""
from __future__ import annotations

from typing import Any

from authgate import revocation
from authgate.registry import Registry
from authgate.tokens import access, jwt


async def validate_access_token(reg: Registry, token: str) -> dict[str, Any]:
    """Claims of a live access token issued here, else `jwt.TokenInvalid` (its `reason` for logs)."""
    claims = await jwt.verify(reg.keys, token, issuer=reg.issuer, typ=access.TYP)  # RFC 9068 section 4
    if not access.is_access_token(claims):
        raise jwt.TokenInvalid("not an access token")
    why = await revocation.refusal(reg, claims, access.issued_ms(claims))
    if why is not None:
        raise jwt.TokenInvalid(why)
    return claims
