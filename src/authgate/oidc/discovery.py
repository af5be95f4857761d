"""`/.well-known/openid-configuration` (OpenID Connect Discovery 1.0 section 3; RFC 8414) and
`/.well-known/jwks.json` (RFC 7517 section 5).

The metadata lists exactly what authgate implements, nothing aspirational. The JWKS holds every
published public key, including rotated ones until the tokens they signed have expired.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from authgate.fusionauth.auth import registry
from authgate.oauth2.authorize import check_prompt, check_response_mode, check_scope
from authgate.oauth2.dpop import ALGORITHMS as DPOP_ALGORITHMS

router = APIRouter()

CACHE = {"Cache-Control": "public, max-age=300"}
CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


def metadata(issuer: str) -> dict[str, object]:
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oauth2/authorize",
        "token_endpoint": f"{issuer}/oauth2/token",
        "userinfo_endpoint": f"{issuer}/oauth2/userinfo",
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "end_session_endpoint": f"{issuer}/oauth2/logout",
        "introspection_endpoint": f"{issuer}/oauth2/introspect",
        "revocation_endpoint": f"{issuer}/oauth2/revoke",
        "response_types_supported": ["code", "token", "id_token", "token id_token"],
        "response_modes_supported": list(check_response_mode.SUPPORTED),
        "grant_types_supported": ["authorization_code", "implicit", "refresh_token", "client_credentials", "password"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "scopes_supported": list(check_scope.SUPPORTED),
        "claims_supported": ["iss", "sub", "aud", "azp", "exp", "iat", "auth_time", "nonce", "sid", "at_hash",
                             "email", "email_verified", "preferred_username"],
        "prompt_values_supported": list(check_prompt.SUPPORTED),
        "token_endpoint_auth_methods_supported": [*CLIENT_AUTH_METHODS, "none"],
        "introspection_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": [*CLIENT_AUTH_METHODS, "none"],
        "code_challenge_methods_supported": ["S256"],
        "dpop_signing_alg_values_supported": list(DPOP_ALGORITHMS),
        "authorization_response_iss_parameter_supported": True,
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
    }


@router.get("/.well-known/openid-configuration")
async def openid_configuration(request: Request) -> JSONResponse:
    return JSONResponse(metadata(registry(request).issuer), headers=CACHE)


@router.get("/.well-known/jwks.json")
async def jwks(request: Request) -> JSONResponse:
    return JSONResponse(await registry(request).keys.jwks(), headers={"Cache-Control": "public, max-age=60"})
