"""authgate/revocation.py, seen from outside: revoking a user, an application, a registration or
a client-credentials grant makes the tokens concerned fail `/api/jwt/validate` (401) and
`/oauth2/introspect` (`active: false`) at once, on this node, and within the cache window on
another node (issue 15 finding 6); tokens issued afterwards work again."""
from __future__ import annotations

from typing import Any

import httpx
import pytest

from authgate import revocation
from authgate.clock import clock
from authgate.registry import Registry
from authgate.tokens import access, jwt, refresh
from authgate.tokens.validation import validate_access_token
from tests.factories import make_application, make_user

SECRET = "store-secret-0123456789abcdefghij"


async def _world(reg: Registry) -> tuple[dict[str, Any], dict[str, Any]]:
    app = await make_application(reg, oauthConfiguration={
        "clientSecret": SECRET, "enabledGrants": ["authorization_code", "refresh_token", "client_credentials"],
        "authorizedRedirectURLs": ["http://store.authgate.localhost:8081/cb"]})
    user = await make_user(reg, apps=[app])
    return app, user


async def _login(client: httpx.AsyncClient, app: dict[str, Any] | None) -> dict[str, Any]:
    body: dict[str, Any] = {"loginId": "richard@example.com", "password": "password"}
    if app is not None:
        body["applicationId"] = app["id"]
    r = await client.post("/api/login", json=body)
    client.cookies.clear()
    assert r.status_code == 200, r.text
    return r.json()


async def _valid(client: httpx.AsyncClient, token: str) -> bool:
    r = await client.get("/api/jwt/validate", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code in (200, 401)
    return r.status_code == 200


async def _active(client: httpx.AsyncClient, app: dict[str, Any], token: str) -> bool:
    r = await client.post("/oauth2/introspect", data={"token": token}, auth=(app["id"], SECRET))
    assert r.status_code == 200
    return bool(r.json()["active"])


async def test_soft_deleting_a_user_ends_every_token_at_once(client, registry, admin):
    app, user = await _world(registry)
    with_app, without_app = await _login(client, app), await _login(client, None)  # the second has no gid nor sid
    assert await _valid(client, with_app["token"]) and await _valid(client, without_app["token"])
    assert (await client.delete(f"/api/user/{user['id']}", headers=admin)).status_code == 200
    assert not await _valid(client, with_app["token"]) and not await _valid(client, without_app["token"])
    assert not await _active(client, app, with_app["token"])
    assert (await client.post("/api/jwt/refresh", json={"refreshToken": with_app["refreshToken"]})).status_code == 400
    # Reactivated, the user logs in again and the new token works; the old ones stay dead.
    assert (await client.put(f"/api/user/{user['id']}?reactivate=true", headers=admin)).status_code == 200
    again = await _login(client, app)
    assert await _valid(client, again["token"]) and await _active(client, app, again["token"])
    assert not await _valid(client, with_app["token"])


async def test_hard_deleting_a_user_ends_its_tokens(client, registry, admin):
    app, user = await _world(registry)
    tokens = await _login(client, app)
    assert (await client.delete(f"/api/user/{user['id']}?hardDelete=true", headers=admin)).status_code == 200
    assert not await _valid(client, tokens["token"]) and not await _active(client, app, tokens["token"])


async def test_locking_or_expiring_a_user_through_the_api_ends_its_tokens(client, registry, admin):
    app, user = await _world(registry)
    tokens = await _login(client, app)
    r = await client.patch(f"/api/user/{user['id']}", json={"user": {"active": False}}, headers=admin)
    assert r.status_code == 200 and not await _valid(client, tokens["token"])
    await client.put(f"/api/user/{user['id']}?reactivate=true", headers=admin)
    tokens = await _login(client, app)
    r = await client.patch(f"/api/user/{user['id']}", json={"user": {"expiry": clock.now_ms() - 1000}}, headers=admin)
    assert r.status_code == 200 and not await _valid(client, tokens["token"])
    assert not await _active(client, app, tokens["token"])


async def test_a_token_never_outlives_the_users_expiry(client, registry):
    app = await make_application(registry, oauthConfiguration={"clientSecret": SECRET})
    await make_user(registry, apps=[app], expiry=clock.now_ms() + 120_000)
    tokens = await _login(client, app)
    assert await _valid(client, tokens["token"])
    clock.advance(121)
    assert not await _valid(client, tokens["token"]) and not await _active(client, app, tokens["token"])


async def test_an_unrelated_edit_keeps_the_tokens(client, registry, admin):
    app, user = await _world(registry)
    tokens = await _login(client, app)
    r = await client.patch(f"/api/user/{user['id']}", json={"user": {"firstName": "Richard"}}, headers=admin)
    assert r.status_code == 200 and await _valid(client, tokens["token"])


async def test_deactivating_an_application_ends_its_tokens_and_client_credentials_ones(client, registry, admin):
    app, _ = await _world(registry)
    tokens = await _login(client, app)
    cc = (await client.post("/oauth2/token", data={"grant_type": "client_credentials"}, auth=(app["id"], SECRET))).json()
    assert await _valid(client, tokens["token"]) and await _valid(client, cc["access_token"])
    assert (await client.delete(f"/api/application/{app['id']}", headers=admin)).status_code == 200
    assert not await _valid(client, tokens["token"]) and not await _valid(client, cc["access_token"])
    assert (await client.put(f"/api/application/{app['id']}?reactivate=true", headers=admin)).status_code == 200
    assert await _valid(client, (await _login(client, app))["token"])


async def test_unregistering_ends_the_tokens_for_that_application_only(client, registry, admin):
    app, user = await _world(registry)
    other = await make_application(registry, "Forums")
    await registry.db.registrations.create(user["id"], other["id"], {"roles": []})
    store, forums = await _login(client, app), await _login(client, other)
    r = await client.delete(f"/api/user/registration/{user['id']}/{app['id']}", headers=admin)
    assert r.status_code == 200
    assert not await _valid(client, store["token"]) and await _valid(client, forums["token"])


async def test_client_credentials_tokens_are_revocable(client, registry):
    app, _ = await _world(registry)
    cc = (await client.post("/oauth2/token", data={"grant_type": "client_credentials"}, auth=(app["id"], SECRET))).json()
    other = (await client.post("/oauth2/token", data={"grant_type": "client_credentials"}, auth=(app["id"], SECRET))).json()
    assert await _active(client, app, cc["access_token"])
    r = await client.post("/oauth2/revoke", data={"token": cc["access_token"]}, auth=(app["id"], SECRET))
    assert r.status_code == 200
    assert not await _active(client, app, cc["access_token"]) and not await _valid(client, cc["access_token"])
    assert await _active(client, app, other["access_token"])  # another grant of the same client


async def test_another_node_sees_a_user_revocation_within_the_window(client, registry):
    app, user = await _world(registry)
    tokens = await _login(client, app)

    class Timer:
        t = 1000.0

        def __call__(self) -> float:
            return self.t

    timer = Timer()
    registry.db.revoked_grants.timer = timer
    assert await _valid(client, tokens["token"])  # "not revoked" cached here from now
    other = Registry(registry.settings)
    try:
        await revocation.deactivate_user(other, user["id"])
    finally:
        await other.close()
    timer.t += registry.db.revoked_grants.NOT_REVOKED_TTL
    assert not await _valid(client, tokens["token"])


async def test_revoke_user_tokens_can_keep_the_session_the_user_acts_from(registry):
    """A password change ends every other session, refresh token and access token at once; the
    session it was made from keeps its refresh token and its access tokens."""

    app, user = await _world(registry)
    s1 = await registry.db.sso_sessions.create("11111111-1111-4111-8111-111111111111", "cookie-1", user["id"], clock.now_ms(), 60)
    s2 = await registry.db.sso_sessions.create("22222222-2222-4222-8222-222222222222", "cookie-2", user["id"], clock.now_ms(), 60)
    _, kept = await refresh.create(registry, user_id=user["id"], app=app, session_id=s1["id"])
    _, gone = await refresh.create(registry, user_id=user["id"], app=app, session_id=s2["id"])
    here, *_ = await access.issue(registry, user=user, app=app, registration=None, auth_type="PASSWORD", sid=s1["id"])
    there, *_ = await access.issue(registry, user=user, app=app, registration=None, auth_type="PASSWORD", sid=s2["id"])
    sessionless, *_ = await access.issue(registry, user=user, app=None, registration=None, auth_type="PASSWORD")
    assert await revocation.revoke_user_tokens(registry, user["id"], keep_session_id=s1["id"]) == 1
    assert (await registry.db.refresh_tokens.get(kept["id"]))["revoked_instant"] is None
    assert (await registry.db.refresh_tokens.get(gone["id"]))["revoked_instant"] is not None
    assert await registry.db.sso_sessions.find_live("cookie-1") is not None
    assert await registry.db.sso_sessions.find_live("cookie-2") is None
    assert (await validate_access_token(registry, here))["sid"] == s1["id"]
    for token in (there, sessionless):
        with pytest.raises(jwt.TokenInvalid):
            await validate_access_token(registry, token)
    clock.advance(0.01)  # a later cutoff without a kept session ends the kept session's tokens too
    await revocation.revoke_user_tokens(registry, user["id"])
    with pytest.raises(jwt.TokenInvalid):
        await validate_access_token(registry, here)
