"""Defects found in review, each pinned: id_tokens are no API credential, global logout ends
every session's access tokens, expired users get nothing more, cross-client refresh leaks
nothing, unknown client ids do not grow memory, login ids are unambiguous."""
from __future__ import annotations

from authgate.clock import clock
from tests.factories import make_application, make_user
from tests.oauth2.conftest import SECRET, code_for, redeem


async def test_id_token_is_not_accepted_as_an_access_token(client, world):
    tokens = (await redeem(client, world, await code_for(client, world))).json()
    bearer = {"Authorization": f"Bearer {tokens['id_token']}"}
    assert (await client.get("/api/jwt/validate", headers=bearer)).status_code == 401
    r = await client.post("/oauth2/introspect", data={"token": tokens["id_token"]}, auth=(world.store["id"], SECRET))
    assert r.json()["active"] is False
    assert (await client.get("/api/jwt/validate", headers={"Authorization": f"Bearer {tokens['access_token']}"})).status_code == 200


async def test_refresh_token_of_another_client_with_wider_scope_is_invalid_grant(client, world, registry):
    tokens = (await redeem(client, world, await code_for(client, world))).json()
    thief = await make_application(registry, "Thief", oauthConfiguration={
        "clientSecret": SECRET, "enabledGrants": ["refresh_token"], "authorizedRedirectURLs": []})
    r = await client.post("/oauth2/token", data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
                                                 "scope": "openid offline_access email admin"}, auth=(thief["id"], SECRET))
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


async def test_expired_user_can_no_longer_refresh(client, registry):
    app = await make_application(registry)
    user = await make_user(registry, apps=[app])
    login = (await client.post("/api/login", json={"loginId": "richard@example.com", "password": "password",
                                                   "applicationId": app["id"]})).json()
    client.cookies.clear()
    row = await registry.db.users.get(user["id"])
    await registry.db.users.replace(user["id"], {**row["doc"], "expiry": clock.now_ms() - 1}, None, row["version"])
    assert (await client.post("/api/jwt/refresh", json={"refreshToken": login["refreshToken"]})).status_code == 400


async def test_global_logout_ends_every_sessions_access_tokens(client, registry):
    app = await make_application(registry)
    await make_user(registry, apps=[app])
    body = {"loginId": "richard@example.com", "password": "password", "applicationId": app["id"]}
    first = (await client.post("/api/login", json=body)).json()
    client.cookies.clear()
    second = (await client.post("/api/login", json=body)).json()
    client.cookies.clear()
    assert (await client.post("/api/logout?global=true", json={"refreshToken": first["refreshToken"]})).status_code == 200
    other = {"Authorization": f"Bearer {second['token']}"}
    assert (await client.get("/api/jwt/validate", headers=other)).status_code == 401


async def test_unknown_client_ids_are_not_remembered(client, registry):
    for i in range(50):
        await client.get("/oauth2/authorize", params={"client_id": f"random-{i}", "redirect_uri": "http://x/cb",
                                                      "response_type": "code"})
    assert len(registry.apps._entries) == 0


async def test_username_equal_to_another_users_email_is_a_duplicate(client, admin):
    r = await client.post("/api/user", headers=admin, json={"user": {"email": "carol@example.com", "password": "long enough"}})
    assert r.status_code == 200
    clash = await client.post("/api/user", headers=admin, json={"user": {
        "email": "bob@example.com", "username": "Carol@Example.com", "password": "long enough"}})
    assert clash.status_code == 400 and clash.json()["fieldErrors"]["user.username"][0]["code"] == "[duplicate]user.username"
