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


async def test_discovery_advertises_only_what_some_application_can_be_granted(client: httpx.AsyncClient,
                                                                              registry: Registry) -> None:
    from tests.factories import make_application

    async def meta() -> dict:
        return (await client.get("/.well-known/openid-configuration")).json()

    bare = await meta()  # no application yet: the code flow every new application gets
    assert bare["grant_types_supported"] == ["authorization_code"] and bare["response_types_supported"] == ["code"]

    await make_application(registry, "Store")  # the default grants
    assert (await meta())["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert (await meta())["response_types_supported"] == ["code"]

    # An inactive application grants nothing, so its implicit and password grants are not advertised.
    await make_application(registry, "Legacy", active=False,
                           oauthConfiguration={"enabledGrants": ["implicit", "password"]})
    assert "implicit" not in (await meta())["grant_types_supported"]

    await make_application(registry, "Old SPA", oauthConfiguration={"enabledGrants": ["implicit"]})
    await make_application(registry, "Batch", oauthConfiguration={"enabledGrants": ["client_credentials"]})
    current = await meta()
    assert current["grant_types_supported"] == ["authorization_code", "implicit", "refresh_token", "client_credentials"]
    assert current["response_types_supported"] == ["code", "token", "id_token", "token id_token"]


async def test_the_same_metadata_is_served_for_oauth_clients_rfc8414(client: httpx.AsyncClient) -> None:
    oidc = await client.get("/.well-known/openid-configuration")
    oauth = await client.get("/.well-known/oauth-authorization-server")
    assert oauth.status_code == 200 and oauth.json() == oidc.json()
    # RFC 8414 section 3: the issuer is the one the client asked about, and the token endpoint is there.
    assert oauth.json()["issuer"] == IDP and oauth.json()["token_endpoint"] == f"{IDP}/oauth2/token"
    assert oauth.headers["cache-control"].startswith("public")
