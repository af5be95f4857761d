"""Code + PKCE at the token endpoint, client authentication, code reuse and expiry."""
from __future__ import annotations

import base64

import httpx
import pytest

from authgate.clock import clock
from tests.oauth2.conftest import (
    FORUMS_CB, SECRET, STORE_CB, World, authorize_params, code_for, login, pkce_pair, redeem, redirect_params,
)


async def test_code_with_pkce_gives_tokens(client: httpx.AsyncClient, world: World) -> None:
    verifier, challenge = pkce_pair()
    code = await code_for(client, world, challenge)
    response = await redeem(client, world, code, verifier)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer" and body["refresh_token"] and body["id_token"] and body["expires_in"] > 0
    claims = (await client.get("/api/jwt/validate", headers={"Authorization": f"Bearer {body['access_token']}"})).json()["jwt"]
    assert claims["aud"] == world.store["id"] and claims["sub"] == world.user["id"] and claims["roles"] == ["user"]
    assert claims["sid"] and claims["gid"] and claims["scope"] == "openid offline_access"


async def test_refresh_token_only_with_offline_access(client: httpx.AsyncClient, world: World) -> None:
    code = await code_for(client, world, scope="openid")
    body = (await redeem(client, world, code)).json()
    assert "refresh_token" not in body and body["id_token"]


async def test_client_secret_post_and_wrong_secrets(client: httpx.AsyncClient, world: World) -> None:
    code = await code_for(client, world)
    base = {"grant_type": "authorization_code", "code": code, "redirect_uri": STORE_CB, "client_id": world.store["id"]}
    wrong = await client.post("/oauth2/token", data={**base, "client_secret": SECRET + "x"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    basic_wrong = await client.post("/oauth2/token", data=base, auth=(world.store["id"], "nope"))
    assert basic_wrong.status_code == 401 and "www-authenticate" in basic_wrong.headers
    no_secret = await client.post("/oauth2/token", data=base)
    assert no_secret.status_code == 401
    both = await client.post("/oauth2/token", data={**base, "client_secret": SECRET}, auth=(world.store["id"], SECRET))
    assert both.status_code == 400 and both.json()["error"] == "invalid_request"
    ok = await client.post("/oauth2/token", data={**base, "client_secret": SECRET})
    assert ok.status_code == 200  # the failed attempts did not spend the code


async def test_basic_credentials_are_form_urlencoded(client: httpx.AsyncClient, world: World) -> None:
    code = await code_for(client, world)
    raw = base64.b64encode(f"{world.store['id']}:{SECRET}".encode()).decode()
    response = await client.post("/oauth2/token", headers={"Authorization": f"Basic {raw}"},
                                 data={"grant_type": "authorization_code", "code": code, "redirect_uri": STORE_CB})
    assert response.status_code == 200


async def test_code_reuse_is_refused_and_revokes_what_it_issued(client: httpx.AsyncClient, world: World) -> None:
    code = await code_for(client, world)
    first = (await redeem(client, world, code)).json()
    replay = await redeem(client, world, code)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant" and "access_token" not in replay.json()
    validate = await client.get("/api/jwt/validate", headers={"Authorization": f"Bearer {first['access_token']}"})
    assert validate.status_code == 401
    refreshed = await client.post("/oauth2/token", auth=(world.store["id"], SECRET),
                                  data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"


async def test_expired_code_is_refused(client: httpx.AsyncClient, world: World) -> None:
    code = await code_for(client, world)
    clock.advance(world.reg.settings.authorization_code_ttl_seconds + 1)
    response = await redeem(client, world, code)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


async def test_code_bound_to_redirect_uri_and_client(client: httpx.AsyncClient, world: World) -> None:
    code = await code_for(client, world)
    other_uri = await client.post("/oauth2/token", auth=(world.store["id"], SECRET), data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": STORE_CB + "/"})
    assert other_uri.json()["error"] == "invalid_grant"
    code = await code_for(client, world)
    verifier, _ = pkce_pair()
    by_forums = await client.post("/oauth2/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": STORE_CB, "client_id": world.forums["id"],
        "code_verifier": verifier})
    assert by_forums.status_code == 400 and by_forums.json()["error"] == "invalid_grant"


async def test_another_client_or_redirect_uri_cannot_burn_a_code(client: httpx.AsyncClient, world: World) -> None:
    """RFC 6749 section 4.1.3: client and redirect_uri are checked before the code is spent. The
    pen-tester posted Store's code as Forums (a public client anyone can be): the code was consumed
    and Store's grant revoked. Now Store still redeems it."""
    code = await code_for(client, world)
    for _ in range(2):  # twice: a second try must not count as a replay either
        by_forums = await client.post("/oauth2/token", data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": STORE_CB, "client_id": world.forums["id"]})
        assert by_forums.status_code == 400 and by_forums.json()["error"] == "invalid_grant"
        wrong_uri = await client.post("/oauth2/token", auth=(world.store["id"], SECRET), data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": FORUMS_CB})
        assert wrong_uri.status_code == 400 and wrong_uri.json()["error"] == "invalid_grant"
    tokens = await redeem(client, world, code)
    assert tokens.status_code == 200, tokens.text
    validated = await client.get("/api/jwt/validate", headers={"Authorization": f"Bearer {tokens.json()['access_token']}"})
    assert validated.status_code == 200


async def test_pkce_downgrade_and_bad_verifiers(client: httpx.AsyncClient, world: World) -> None:
    verifier, challenge = pkce_pair()
    code = await code_for(client, world, challenge)
    assert (await redeem(client, world, code)).json()["error"] == "invalid_grant"  # challenge but no verifier
    code = await code_for(client, world, challenge)
    assert (await redeem(client, world, code, verifier[:-1] + ("A" if verifier[-1] != "A" else "B"))).json()["error"] == "invalid_grant"
    code = await code_for(client, world, challenge)
    assert (await redeem(client, world, code, "short")).json()["error"] == "invalid_grant"
    code = await code_for(client, world)  # no challenge
    assert (await redeem(client, world, code, verifier)).json()["error"] == "invalid_grant"  # verifier without challenge


async def test_public_client_code_flow(client: httpx.AsyncClient, world: World) -> None:
    verifier, challenge = pkce_pair()
    params = authorize_params(world.forums["id"], FORUMS_CB, code_challenge=challenge, code_challenge_method="S256")
    code = redirect_params(await login(client, params))["code"]
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": FORUMS_CB, "client_id": world.forums["id"],
            "code_verifier": verifier}
    response = await client.post("/oauth2/token", data=data)
    assert response.status_code == 200 and response.json()["refresh_token"]
    refreshed = await client.post("/oauth2/token", data={"grant_type": "refresh_token", "client_id": world.forums["id"],
                                                         "refresh_token": response.json()["refresh_token"]})
    assert refreshed.status_code == 200
    stolen = await client.post("/oauth2/token", auth=(world.store["id"], SECRET), data={
        "grant_type": "refresh_token", "refresh_token": refreshed.json()["refresh_token"]})
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant"


@pytest.mark.parametrize("data, status, error", [
    ({"grant_type": "magic"}, 400, "unsupported_grant_type"),
    ({}, 400, "invalid_request"),
    ({"grant_type": "client_credentials"}, 400, "unauthorized_client"),
    ({"grant_type": "password", "username": "richard@example.com", "password": "x"}, 400, "unauthorized_client"),
    ({"grant_type": "authorization_code", "redirect_uri": STORE_CB}, 400, "invalid_request"),
    ({"grant_type": "authorization_code", "code": "nope", "redirect_uri": STORE_CB}, 400, "invalid_grant"),
    ({"grant_type": "refresh_token", "refresh_token": "nope"}, 400, "invalid_grant"),
])
async def test_token_endpoint_errors(client: httpx.AsyncClient, world: World, data: dict[str, str], status: int,
                                     error: str) -> None:
    response = await client.post("/oauth2/token", data=data, auth=(world.store["id"], SECRET))
    assert response.status_code == status and response.json()["error"] == error
    assert "access_token" not in response.json()


async def test_duplicate_token_parameters_are_refused(client: httpx.AsyncClient, world: World) -> None:
    code = await code_for(client, world)
    body = f"grant_type=authorization_code&code={code}&code={code}&redirect_uri={STORE_CB}"
    response = await client.post("/oauth2/token", content=body.encode(), auth=(world.store["id"], SECRET),
                                 headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


async def test_client_credentials_and_password_when_enabled(client: httpx.AsyncClient, world: World) -> None:
    from tests.oauth2.conftest import PASSWORD, oauth_app

    app = await oauth_app(world.reg, "Service", STORE_CB, grants=["client_credentials", "password"])
    cc = await client.post("/oauth2/token", data={"grant_type": "client_credentials"}, auth=(app["id"], SECRET))
    assert cc.status_code == 200 and "refresh_token" not in cc.json()
    claims = (await client.get("/api/jwt/validate", headers={"Authorization": f"Bearer {cc.json()['access_token']}"})).json()["jwt"]
    assert claims["sub"] == app["id"]
    pw = await client.post("/oauth2/token", auth=(app["id"], SECRET), data={
        "grant_type": "password", "username": "richard@example.com", "password": PASSWORD, "scope": "openid"})
    assert pw.status_code == 200 and pw.json()["id_token"]
    bad = await client.post("/oauth2/token", auth=(app["id"], SECRET), data={
        "grant_type": "password", "username": "richard@example.com", "password": "wrong"})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"
