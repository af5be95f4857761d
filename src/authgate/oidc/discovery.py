"""`/.well-known/openid-configuration` (OpenID Connect Discovery 1.0 section 3), the same
metadata at `/.well-known/oauth-authorization-server` (RFC 8414 section 3), and
`/.well-known/jwks.json` (RFC 7517 section 5).

The metadata lists exactly what authgate implements, nothing aspirational, and of the grants only
those some active application can actually be granted (its `enabledGrants`): the implicit
response types appear only while an application enables `implicit`, `password` and
`client_credentials` only while one enables them. `code` and `authorization_code` are always
listed: OpenID Connect requires a response type, and they are what a new application gets. The
JWKS holds every published public key, including rotated ones until the tokens they signed have
expired.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from authgate.mfa.amr import ACR_VALUES
from authgate.oauth2.authorize import check_prompt, check_response_mode, check_scope
from authgate.oauth2.clients import as_client
from authgate.oauth2.dpop import ALGORITHMS as DPOP_ALGORITHMS
from authgate.registry import Registry
from authgate.tokens.grant_types import GRANT_TYPES
from authgate.web.context import registry

router = APIRouter()

CACHE = {"Cache-Control": "public, max-age=300"}
CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
# Every grant authgate implements, in the order they are listed; the first is always listed.
IMPLICIT_RESPONSE_TYPES = ["token", "id_token", "token id_token"]


async def grants_in_use(reg: Registry) -> list[str]:
    """The grant types some active application may use, in `GRANT_TYPES` order."""
    enabled = {GRANT_TYPES[0]}
    for app in await reg.db.applications.list():
        if app["active"]:
            enabled |= as_client(app).grants
    return [grant for grant in GRANT_TYPES if grant in enabled]


def metadata(issuer: str, grant_types: list[str]) -> dict[str, object]:
    implicit = IMPLICIT_RESPONSE_TYPES if "implicit" in grant_types else []
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oauth2/authorize",
        "token_endpoint": f"{issuer}/oauth2/token",
        "userinfo_endpoint": f"{issuer}/oauth2/userinfo",
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "end_session_endpoint": f"{issuer}/oauth2/logout",
        "introspection_endpoint": f"{issuer}/oauth2/introspect",
        "revocation_endpoint": f"{issuer}/oauth2/revoke",
        "response_types_supported": ["code", *implicit],
        "response_modes_supported": list(check_response_mode.SUPPORTED),
        "grant_types_supported": grant_types,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "scopes_supported": list(check_scope.SUPPORTED),
        "claims_supported": ["iss", "sub", "aud", "azp", "exp", "iat", "auth_time", "nonce", "sid", "at_hash",
                             "email", "email_verified", "preferred_username", "amr", "acr"],
        "acr_values_supported": list(ACR_VALUES),  # authgate/mfa/amr.py; mfa asks for a step-up
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
    reg = registry(request)
    return JSONResponse(metadata(reg.issuer, await grants_in_use(reg)), headers=CACHE)


@router.get("/.well-known/oauth-authorization-server")
async def authorization_server_metadata(request: Request) -> JSONResponse:
    """RFC 8414: OAuth clients look here; the document is the same (section 3 allows the OIDC one)."""
    return await openid_configuration(request)


@router.get("/.well-known/jwks.json")
async def jwks(request: Request) -> JSONResponse:
    return JSONResponse(await registry(request).keys.jwks(), headers={"Cache-Control": "public, max-age=60"})
