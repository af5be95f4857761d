"""Implicit responses (seed 000/002): tokens in the fragment, only for applications that enable it."""
from __future__ import annotations

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet

from authgate.tokens.id_token import at_hash
from tests.conftest import IDP
from tests.oauth2.conftest import STORE_CB, World, authorize_params, location_base, login, redirect_params


async def _verify(client: httpx.AsyncClient, token: str) -> dict:
    keys = KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())
    return dict(jwt.decode(token, keys).claims)


async def test_implicit_token_in_the_fragment(client: httpx.AsyncClient, world: World) -> None:
    params = authorize_params(world.store["id"], STORE_CB, response_type="token", scope="openid", nonce="n-1")
    response = await login(client, params)
    assert response.status_code == 303 and location_base(response) == STORE_CB
    assert "?" not in response.headers["location"]  # nothing in the query
    got = redirect_params(response, "fragment")
    assert got["token_type"] == "Bearer" and got["state"] == "st-123" and int(got["expires_in"]) > 0
    claims = await _verify(client, got["access_token"])
    assert claims["aud"] == world.store["id"] and claims["iss"] == IDP and claims["sub"] == world.user["id"]
    # the SPA's second visit (token expired): SSO, no form, a new JWT at once
    again = await client.get("/oauth2/authorize", params=params)
    assert again.status_code == 302
    assert redirect_params(again, "fragment")["access_token"] != got["access_token"]


async def test_token_id_token_has_nonce_and_at_hash(client: httpx.AsyncClient, world: World) -> None:
    params = authorize_params(world.store["id"], STORE_CB, response_type="id_token token", scope="openid", nonce="n-2")
    got = redirect_params(await login(client, params), "fragment")
    claims = await _verify(client, got["id_token"])
    assert claims["nonce"] == "n-2" and claims["at_hash"] == at_hash(got["access_token"])
    assert claims["aud"] == world.store["id"] and claims["azp"] == world.store["id"] and claims["sid"]
    assert "auth_time" in claims


async def test_id_token_only(client: httpx.AsyncClient, world: World) -> None:
    params = authorize_params(world.store["id"], STORE_CB, response_type="id_token", scope="openid", nonce="n-3")
    got = redirect_params(await login(client, params), "fragment")
    assert "access_token" not in got
    claims = await _verify(client, got["id_token"])
    assert claims["nonce"] == "n-3" and "at_hash" not in claims


async def test_form_post_response_mode(client: httpx.AsyncClient, world: World) -> None:
    params = authorize_params(world.store["id"], STORE_CB, response_type="token", response_mode="form_post")
    response = await login(client, params)
    assert response.status_code == 200 and f'action="{STORE_CB}"' in response.text
    assert 'name="access_token"' in response.text and "form-action 'self' http://store.authgate.localhost:8081" in \
        response.headers["content-security-policy"]


async def test_implicit_disabled_by_default(client: httpx.AsyncClient, world: World) -> None:
    from tests.factories import make_application

    app = await make_application(world.reg, "Default", oauthConfiguration={"authorizedRedirectURLs": [STORE_CB]})
    response = await client.get("/oauth2/authorize", params=authorize_params(app["id"], STORE_CB, response_type="token"))
    got = redirect_params(response, "fragment")
    assert got["error"] == "unauthorized_client" and "access_token" not in got
