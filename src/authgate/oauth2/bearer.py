"""Presenting an access token to a resource endpoint (RFC 6750 section 2.1; RFC 9449 section 7).

A DPoP-bound token (`cnf.jkt`) must come with the `DPoP` scheme and a proof by the same key that
covers this request and the token (`ath`); it is refused as a plain Bearer token. The token must
be live: signature, issuer, expiry, and neither its grant nor its SSO session revoked.
"""
from __future__ import annotations

import hmac
from typing import Any

from fastapi import Request

from authgate.errors import InvalidDPoPProof, InvalidToken
from authgate.oauth2 import dpop
from authgate.registry import Registry
from authgate.tokens import jwt
from authgate.tokens.validation import validate_access_token


def _challenge(scheme: str, error: str) -> dict[str, str]:
    extra = ' algs="ES256 RS256"' if scheme == "DPoP" else ""
    return {"WWW-Authenticate": f'{scheme} realm="authgate", error="{error}"{extra}'}


def invalid_token(scheme: str, detail: str) -> InvalidToken:
    return InvalidToken("The access token is invalid.", detail=detail, headers=_challenge(scheme, "invalid_token"))


def is_bound(claims: dict[str, Any]) -> bool:
    """Sender-constrained (RFC 9449 section 6): valid only with a proof of the key it names."""
    return (claims.get("cnf") or {}).get("jkt") is not None


async def authorized_claims(reg: Registry, request: Request) -> dict[str, Any]:
    """The claims of the access token in the Authorization header, presented as RFC 6750 and RFC
    9449 say; else InvalidToken. Every endpoint that takes a token from the header uses this."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    scheme = {"bearer": "Bearer", "dpop": "DPoP"}.get(scheme.lower(), "")
    token = token.strip()
    if not scheme or not token:
        raise InvalidToken("An access token is required.", detail="no Bearer/DPoP authorization",
                           headers={"WWW-Authenticate": 'Bearer realm="authgate"'})
    try:
        claims = await validate_access_token(reg, token)
    except jwt.TokenInvalid as exc:
        raise invalid_token(scheme, f"access token refused: {exc.reason}") from None
    bound = (claims.get("cnf") or {}).get("jkt")
    if bound is None and scheme == "DPoP":
        raise invalid_token(scheme, "DPoP scheme with an unbound token")
    if bound is not None:
        if scheme != "DPoP":
            raise invalid_token("DPoP", "DPoP-bound token presented as Bearer")
        try:
            jkt = await dpop.verify_proof_for_request(reg, request, access_token=token)
        except InvalidDPoPProof as exc:
            raise InvalidToken("The DPoP proof is invalid.", detail=exc.detail,
                               headers=_challenge("DPoP", "invalid_dpop_proof")) from None
        if not hmac.compare_digest(jkt, bound):
            raise invalid_token("DPoP", "DPoP proof key differs from the token's cnf.jkt")
    return claims
