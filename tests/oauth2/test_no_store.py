"""RFC 6749 section 5.1, RFC 7662 section 4, OpenID Connect Core 5.3.2: no cache keeps a token or
claims. Every answer below carries one; each must say `Cache-Control: no-store` and `Pragma:
no-cache` (web/no_store.py), errors included, while discovery and JWKS keep their own caching."""
from __future__ import annotations

import httpx

from tests.oauth2.conftest import SECRET, World, code_for, redeem


def _never_cached(response: httpx.Response) -> None:
    assert response.headers.get("cache-control") == "no-store", (response.request.url, response.headers)
    assert response.headers.get("pragma") == "no-cache", (response.request.url, response.headers)


async def test_every_token_or_claim_bearing_answer_is_no_store(client: httpx.AsyncClient, world: World, admin) -> None:
    login = await client.post("/api/login", json={"loginId": "richard@example.com", "password": "correct horse battery staple",
                                                  "applicationId": world.store["id"]})
    assert login.status_code == 200 and login.json()["token"]
    bearer = {"Authorization": f"Bearer {login.json()['token']}"}
    refresh = await client.post("/api/jwt/refresh", json={"refreshToken": login.json()["refreshToken"]})
    assert refresh.status_code == 200
    validate = await client.get("/api/jwt/validate", headers=bearer)
    assert validate.status_code == 200
    tokens = await redeem(client, world, await code_for(client, world))
    assert tokens.status_code == 200
    access = tokens.json()["access_token"]
    userinfo = await client.get("/oauth2/userinfo", headers={"Authorization": f"Bearer {access}"})
    assert userinfo.status_code == 200
    introspect = await client.post("/oauth2/introspect", data={"token": access}, auth=(world.store["id"], SECRET))
    assert introspect.json()["active"] is True
    user = await client.get(f"/api/user/{world.user['id']}", headers=admin)
    assert user.status_code == 200
    refused = await client.post("/oauth2/token", data={"grant_type": "authorization_code", "code": "x", "redirect_uri": "y"},
                                auth=(world.store["id"], SECRET))
    assert refused.status_code == 400
    failed_login = await client.post("/api/login", json={"loginId": "richard@example.com", "password": "wrong"})
    assert failed_login.status_code == 404
    for response in (login, refresh, validate, tokens, userinfo, introspect, user, refused, failed_login):
        _never_cached(response)


async def test_discovery_and_jwks_stay_cacheable(client: httpx.AsyncClient, world: World) -> None:
    for path in ("/.well-known/openid-configuration", "/.well-known/jwks.json"):
        response = await client.get(path)
        assert response.status_code == 200 and response.headers["cache-control"].startswith("public"), path
