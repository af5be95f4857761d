"""Refresh tokens: rotation, reuse detection, expiration policies, revocation, logout."""
from __future__ import annotations

import asyncio
from http.cookiejar import DefaultCookiePolicy

import pytest

from authgate.clock import clock
from tests.factories import make_application, make_user


async def _login(client, app):
    r = await client.post("/api/login", json={"loginId": "richard@example.com", "password": "password", "applicationId": app["id"]})
    assert r.status_code == 200
    client.cookies.clear()
    return r.json()


async def _refresh(client, token):
    client.cookies.clear()
    return await client.post("/api/jwt/refresh", json={"refreshToken": token})


async def test_one_time_use_rotates_and_reuse_revokes_the_family(client, registry):
    app = await make_application(registry, jwtConfiguration={"refreshTokenUsagePolicy": "OneTimeUse"})
    await make_user(registry, apps=[app])
    first = (await _login(client, app))["refreshToken"]
    r = await _refresh(client, first)
    assert r.status_code == 200
    second = r.json()["refreshToken"]
    assert second != first and r.json()["token"]
    claims = (await client.get("/api/jwt/validate", headers={"Authorization": "Bearer " + r.json()["token"]})).json()["jwt"]
    assert claims["authenticationType"] == "REFRESH_TOKEN"
    # The stolen first token comes back: refused, and the legitimate second one dies with it,
    # as do the access tokens the family issued.
    replay = await _refresh(client, first)
    assert replay.status_code == 400 and replay.json()["fieldErrors"]["refreshToken"][0]["code"] == "[invalid]refreshToken"
    assert (await _refresh(client, second)).status_code == 400
    bearer = {"Authorization": "Bearer " + r.json()["token"]}
    assert (await client.get("/api/jwt/validate", headers=bearer)).status_code == 401


async def test_reusable_policy_keeps_the_same_token(client, registry):
    app = await make_application(registry, jwtConfiguration={"refreshTokenUsagePolicy": "Reusable"})
    await make_user(registry, apps=[app])
    token = (await _login(client, app))["refreshToken"]
    for _ in range(3):
        r = await _refresh(client, token)
        assert r.status_code == 200 and r.json()["refreshToken"] == token


async def test_new_applications_rotate_by_default(client, registry):
    app = await make_application(registry)
    await make_user(registry, apps=[app])
    token = (await _login(client, app))["refreshToken"]
    assert (await _refresh(client, token)).json()["refreshToken"] != token


async def test_cookie_wins_over_body(client, registry):
    app = await make_application(registry, jwtConfiguration={"refreshTokenUsagePolicy": "Reusable"})
    await make_user(registry, apps=[app])
    good = (await _login(client, app))["refreshToken"]
    client.cookies.set("refresh_token", good)
    r = await client.post("/api/jwt/refresh", json={"refreshToken": "garbage"})
    assert r.status_code == 200
    client.cookies.clear()


async def test_missing_unknown_and_expired_tokens_get_400(client, registry):
    app = await make_application(registry, jwtConfiguration={"refreshTokenTimeToLiveInMinutes": 10})
    await make_user(registry, apps=[app])
    r = await client.post("/api/jwt/refresh", json={})
    assert r.status_code == 400 and r.json()["fieldErrors"]["refreshToken"][0]["code"] == "[blank]refreshToken"
    assert (await _refresh(client, "not-a-token")).status_code == 400
    token = (await _login(client, app))["refreshToken"]
    clock.advance(11 * 60)
    expired = await _refresh(client, token)
    assert expired.status_code == 400 and "expired" in expired.json()["fieldErrors"]["refreshToken"][0]["message"]


@pytest.mark.parametrize("policy,alive_after_30min", [("Fixed", False), ("SlidingWindow", True)])
async def test_expiration_policies(client, registry, policy, alive_after_30min):
    app = await make_application(registry, jwtConfiguration={
        "refreshTokenTimeToLiveInMinutes": 20, "refreshTokenExpirationPolicy": policy, "refreshTokenUsagePolicy": "Reusable"})
    await make_user(registry, apps=[app])
    token = (await _login(client, app))["refreshToken"]
    clock.advance(15 * 60)
    assert (await _refresh(client, token)).status_code == 200
    clock.advance(15 * 60)
    assert ((await _refresh(client, token)).status_code == 200) is alive_after_30min


async def test_sliding_window_with_maximum_lifetime(client, registry):
    app = await make_application(registry, jwtConfiguration={
        "refreshTokenTimeToLiveInMinutes": 20, "refreshTokenExpirationPolicy": "SlidingWindowWithMaximumLifetime",
        "refreshTokenSlidingWindowConfiguration": {"maximumTimeToLiveInMinutes": 40}})
    await make_user(registry, apps=[app])
    token = (await _login(client, app))["refreshToken"]
    for _ in range(2):
        clock.advance(15 * 60)
        r = await _refresh(client, token)
        assert r.status_code == 200
        token = r.json()["refreshToken"]
    clock.advance(15 * 60)  # 45 minutes since login: past the maximum lifetime
    assert (await _refresh(client, token)).status_code == 400


async def test_concurrent_use_of_one_token_yields_exactly_one_success(client, registry):
    app = await make_application(registry)
    await make_user(registry, apps=[app])
    token = (await _login(client, app))["refreshToken"]
    # Racers share no cookie jar: a winner's refresh_token cookie must not reach a later racer.
    client.cookies.jar.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    results = await asyncio.gather(*[client.post("/api/jwt/refresh", json={"refreshToken": token}) for _ in range(20)])
    client.cookies.jar.set_policy(DefaultCookiePolicy())
    assert sorted(r.status_code for r in results).count(200) == 1
    winner = next(r for r in results if r.status_code == 200).json()["refreshToken"]
    # Reuse detection fired for the losers, so the family (and the winner's new token) is revoked.
    assert (await _refresh(client, winner)).status_code == 400


async def test_list_and_revoke_with_api_key(client, registry, admin):
    app = await make_application(registry, jwtConfiguration={"refreshTokenUsagePolicy": "Reusable"})
    user = await make_user(registry, apps=[app])
    a = await _login(client, app)
    b = await _login(client, app)
    assert (await client.get(f"/api/jwt/refresh?userId={user['id']}")).status_code == 401
    listed = (await client.get(f"/api/jwt/refresh?userId={user['id']}", headers=admin)).json()["refreshTokens"]
    assert {t["id"] for t in listed} == {a["refreshTokenId"], b["refreshTokenId"]}
    assert all("token" not in t for t in listed)
    assert (await client.delete(f"/api/jwt/refresh?tokenId={a['refreshTokenId']}", headers=admin)).status_code == 200
    assert (await _refresh(client, a["refreshToken"])).status_code == 400
    assert (await _refresh(client, b["refreshToken"])).status_code == 200
    assert (await client.delete(f"/api/jwt/refresh?userId={user['id']}", headers=admin)).status_code == 200
    assert (await _refresh(client, b["refreshToken"])).status_code == 400
    assert (await client.delete("/api/jwt/refresh", headers=admin)).status_code == 400


async def test_logout_revokes_refresh_token_and_its_access_tokens(client, registry):
    app = await make_application(registry)
    await make_user(registry, apps=[app])
    login = await _login(client, app)
    bearer = {"Authorization": "Bearer " + login["token"]}
    assert (await client.get("/api/jwt/validate", headers=bearer)).status_code == 200
    r = await client.post("/api/logout", json={"refreshToken": login["refreshToken"]})
    assert r.status_code == 200
    assert any(c.startswith("refresh_token=") and "max-age=0" in c.lower() for c in r.headers.get_list("set-cookie"))
    assert (await _refresh(client, login["refreshToken"])).status_code == 400
    assert (await client.get("/api/jwt/validate", headers=bearer)).status_code == 401


async def test_deactivated_user_cannot_refresh(client, registry):
    app = await make_application(registry)
    user = await make_user(registry, apps=[app])
    token = (await _login(client, app))["refreshToken"]
    row = await registry.db.users.get(user["id"])
    await registry.db.users.replace(user["id"], {**row["doc"], "active": False}, None, row["version"])
    assert (await _refresh(client, token)).status_code == 400
