"""Issue 15 finding 4: OAuth ignored registration. A new application requires it
(`oauthConfiguration.requireRegistration`, accounts.token_refusal) on every path that issues
tokens: the hosted code flow, SSO re-use, the password grant, refresh, userinfo. An application
that turns it off serves any user, as before."""
from __future__ import annotations

from typing import Any

import httpx

from tests.factories import make_user
from tests.oauth2.conftest import PASSWORD, SECRET, STORE_CB, authorize_params, login, pkce_pair, redirect_params


async def _app(client: httpx.AsyncClient, admin: dict[str, str], **oauth: Any) -> dict[str, Any]:
    r = await client.post("/api/application", headers=admin, json={"application": {
        "name": "Store", "oauthConfiguration": {
            "clientSecret": SECRET, "authorizedRedirectURLs": [STORE_CB],
            "enabledGrants": ["authorization_code", "refresh_token", "password"], **oauth}}})
    assert r.status_code == 200, r.text
    return r.json()["application"]


async def _code_flow(client: httpx.AsyncClient, app: dict[str, Any]) -> dict[str, str]:
    """The browser's side of the code flow: the answer the client gets at its redirect URI."""
    verifier, challenge = pkce_pair()
    params = authorize_params(app["id"], STORE_CB, code_challenge=challenge, code_challenge_method="S256")
    answer = redirect_params(await login(client, params))
    if "code" in answer:
        r = await client.post("/oauth2/token", auth=(app["id"], SECRET), data={
            "grant_type": "authorization_code", "code": answer["code"], "redirect_uri": STORE_CB,
            "code_verifier": verifier})
        answer = {**answer, **r.json()}
    return answer


async def _password_grant(client: httpx.AsyncClient, app: dict[str, Any]) -> httpx.Response:
    return await client.post("/oauth2/token", auth=(app["id"], SECRET), data={
        "grant_type": "password", "username": "richard@example.com", "password": PASSWORD, "scope": "openid"})


async def test_new_applications_require_registration(client, admin):
    app = await _app(client, admin)
    assert app["oauthConfiguration"]["requireRegistration"] is True


async def test_the_hosted_code_flow_refuses_an_unregistered_user(client, registry, admin):
    app = await _app(client, admin)
    await make_user(registry, password=PASSWORD)  # registered to nothing
    answer = await _code_flow(client, app)
    assert answer["error"] == "access_denied" and answer["state"] == "st-123"
    assert "code" not in answer and "access_token" not in answer


async def test_the_password_grant_refuses_an_unregistered_user(client, registry, admin):
    app = await _app(client, admin)
    await make_user(registry, password=PASSWORD)
    r = await _password_grant(client, app)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant" and "access_token" not in r.text


async def test_registered_users_get_tokens_and_lose_them_with_the_registration(client, registry, admin):
    app = await _app(client, admin)
    user = await make_user(registry, password=PASSWORD)
    await registry.db.registrations.create(user["id"], app["id"], {"roles": []})
    tokens = await _code_flow(client, app)
    assert tokens["access_token"] and tokens["refresh_token"]
    assert (await _password_grant(client, app)).status_code == 200
    # Unregistering (without the admin API, so no revocation record) still refuses the next
    # refresh and userinfo: the rule is checked where tokens are issued and read.
    await registry.db.registrations.delete(user["id"], app["id"])
    refreshed = await client.post("/oauth2/token", auth=(app["id"], SECRET), data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    info = await client.get("/oauth2/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert info.status_code == 401
    # Nor does the browser's SSO session get a new code without a form.
    params = authorize_params(app["id"], STORE_CB, code_challenge=pkce_pair()[1], code_challenge_method="S256")
    again = redirect_params(await client.get("/oauth2/authorize", params=params))
    assert again["error"] == "access_denied" and "code" not in again


async def test_an_application_that_turns_it_off_serves_any_user(client, registry, admin):
    app = await _app(client, admin, requireRegistration=False)
    await make_user(registry, password=PASSWORD)
    tokens = await _code_flow(client, app)
    assert tokens["access_token"]
    assert (await _password_grant(client, app)).status_code == 200


async def test_requirement_survives_an_update_that_omits_it(client, admin):
    app = await _app(client, admin)
    r = await client.put(f"/api/application/{app['id']}", headers=admin, json={"application": {
        "name": "Store 2", "oauthConfiguration": {"authorizedRedirectURLs": [STORE_CB]}}})
    assert r.status_code == 200 and r.json()["application"]["oauthConfiguration"]["requireRegistration"] is True
