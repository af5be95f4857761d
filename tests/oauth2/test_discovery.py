from __future__ import annotations

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet

from authgate.registry import Registry
from tests.conftest import IDP


async def test_discovery_lists_exactly_what_is_supported(client: httpx.AsyncClient) -> None:
    meta = (await client.get("/.well-known/openid-configuration")).json()
    assert meta["issuer"] == IDP
    assert meta["authorization_endpoint"] == f"{IDP}/oauth2/authorize"
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert "plain" not in meta["code_challenge_methods_supported"]
    assert set(meta["token_endpoint_auth_methods_supported"]) == {"client_secret_basic", "client_secret_post", "none"}
    assert meta["dpop_signing_alg_values_supported"] == ["ES256", "RS256"]
    # every advertised endpoint answers (not 404)
    for key in ("token_endpoint", "userinfo_endpoint", "jwks_uri", "end_session_endpoint", "introspection_endpoint",
                "revocation_endpoint"):
        path = meta[key].removeprefix(IDP)
        response = await client.request("GET" if key in ("jwks_uri", "userinfo_endpoint", "end_session_endpoint") else "POST", path)
        assert response.status_code != 404, key


async def test_jwks_verifies_tokens_signed_here(client: httpx.AsyncClient, registry: Registry) -> None:
    from authgate.tokens import jwt as ag_jwt

    token = await ag_jwt.sign(registry.keys, {"iss": IDP, "sub": "x", "exp": 2**31})
    jwks = (await client.get("/.well-known/jwks.json")).json()
    assert all("d" not in k for k in jwks["keys"])
    assert jwt.decode(token, KeySet.import_key_set(jwks)).claims["sub"] == "x"
