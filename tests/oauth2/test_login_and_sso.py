"""The hosted login page, the SSO session, prompt and max_age, through HTTP."""
from __future__ import annotations

import re

import httpx

from authgate.clock import clock
from authgate.web.cookies import SSO
from tests.oauth2.conftest import (
    FORUMS_CB, PASSWORD, STORE_CB, World, authorize_params, form_fields, login, pkce_pair, redirect_params, redeem,
)


async def test_login_page_is_safe_and_accessible(client: httpx.AsyncClient, world: World) -> None:
    response = await client.get("/oauth2/authorize", params=authorize_params(world.store["id"], STORE_CB, login_hint="r@x.io"))
    assert response.status_code == 200
    h = response.headers
    assert h["x-frame-options"] == "DENY" and "frame-ancestors 'none'" in h["content-security-policy"]
    assert h["referrer-policy"] == "no-referrer" and h["cache-control"] == "no-store"
    # No inline script: the only script is our own module, and the CSP allows nothing else.
    assert re.findall(r"<script[^>]*>", response.text) == ['<script type="module" src="/ui/static/webauthn.js">']
    assert "script-src 'self';" in h["content-security-policy"] and "unsafe" not in h["content-security-policy"]
    assert '<label for="loginId">' in response.text and '<label for="password">' in response.text
    fields = form_fields(response.text)
    assert fields["loginId"] == "r@x.io" and fields["client_id"] == world.store["id"] and fields["csrf_token"]


async def test_login_sets_sso_cookie_and_redirects_303_with_code(client: httpx.AsyncClient, world: World) -> None:
    response = await login(client, authorize_params(world.store["id"], STORE_CB))
    assert response.status_code == 303
    got = redirect_params(response)
    assert got["state"] == "st-123" and len(got["code"]) > 30 and got["iss"] == "http://idp.authgate.localhost:9011"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(SSO + "="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Domain" not in cookie


async def test_bad_credentials_same_message_for_unknown_user_and_wrong_password(client: httpx.AsyncClient,
                                                                                 world: World) -> None:
    params = authorize_params(world.store["id"], STORE_CB)
    wrong = await login(client, params, password="nope")
    unknown = await login(client, params, login_id="nobody@example.com")
    for response in (wrong, unknown):
        assert response.status_code == 200 and "Invalid login credentials." in response.text
        assert SSO not in response.headers.get("set-cookie", "")
    assert client.cookies.get(SSO) is None


async def test_lockout_applies_to_the_hosted_form(client: httpx.AsyncClient, world: World) -> None:
    params = authorize_params(world.store["id"], STORE_CB)
    for _ in range(world.reg.settings.failed_login_threshold):
        await login(client, params, password="wrong")
    locked = await login(client, params)  # right password, but locked
    assert locked.status_code == 200 and "try again later" in locked.text
    clock.advance(world.reg.settings.lockout_seconds + 1)
    assert (await login(client, params)).status_code == 303


async def test_login_post_without_csrf_token_is_refused(client: httpx.AsyncClient, world: World) -> None:
    page = await client.get("/oauth2/authorize", params=authorize_params(world.store["id"], STORE_CB))
    fields = form_fields(page.text)
    fields.update(loginId="richard@example.com", password=PASSWORD)
    forged = {**fields, "csrf_token": "x" * 43}
    assert (await client.post("/oauth2/authorize", data=forged)).status_code == 403
    client.cookies.clear()  # the attacker's browser has no CSRF cookie
    assert (await client.post("/oauth2/authorize", data=fields)).status_code == 403
    page = await client.get("/oauth2/authorize", params=authorize_params(world.store["id"], STORE_CB))
    fields = {**form_fields(page.text), "loginId": "richard@example.com", "password": PASSWORD}
    cross = await client.post("/oauth2/authorize", data=fields, headers={"Origin": "http://evil.example"})
    assert cross.status_code == 403 and client.cookies.get(SSO) is None


async def test_sso_second_authorize_for_another_app_needs_no_form(client: httpx.AsyncClient, world: World) -> None:
    first = await login(client, authorize_params(world.store["id"], STORE_CB))
    assert first.status_code == 303
    _, challenge = pkce_pair()
    second = await client.get("/oauth2/authorize", params=authorize_params(
        world.forums["id"], FORUMS_CB, code_challenge=challenge, code_challenge_method="S256"))
    assert second.status_code == 302  # straight back, no form
    assert "code" in redirect_params(second)


async def test_prompt_none_without_session_is_login_required(client: httpx.AsyncClient, world: World) -> None:
    response = await client.get("/oauth2/authorize", params=authorize_params(world.store["id"], STORE_CB, prompt="none"))
    got = redirect_params(response)
    assert got["error"] == "login_required" and got["state"] == "st-123" and "code" not in got
    await login(client, authorize_params(world.store["id"], STORE_CB))
    response = await client.get("/oauth2/authorize", params=authorize_params(world.store["id"], STORE_CB, prompt="none"))
    assert "code" in redirect_params(response)


async def test_prompt_login_and_max_age_force_the_form(client: httpx.AsyncClient, world: World) -> None:
    await login(client, authorize_params(world.store["id"], STORE_CB))
    forced = await client.get("/oauth2/authorize", params=authorize_params(world.store["id"], STORE_CB, prompt="login"))
    assert forced.status_code == 200 and 'name="password"' in forced.text
    clock.advance(120)
    old = await client.get("/oauth2/authorize", params=authorize_params(world.store["id"], STORE_CB, max_age="60"))
    assert old.status_code == 200 and 'name="password"' in old.text
    fresh = await client.get("/oauth2/authorize", params=authorize_params(world.store["id"], STORE_CB, max_age="600"))
    assert fresh.status_code == 302
    none = await client.get("/oauth2/authorize", params=authorize_params(world.store["id"], STORE_CB, max_age="60",
                                                                          prompt="none"))
    assert redirect_params(none)["error"] == "login_required"


async def test_auth_time_is_the_real_login_time(client: httpx.AsyncClient, world: World) -> None:
    logged_in_at = int(clock.now())
    await login(client, authorize_params(world.store["id"], STORE_CB))
    clock.advance(300)
    response = await client.get("/oauth2/authorize", params=authorize_params(world.store["id"], STORE_CB))
    tokens = (await redeem(client, world, redirect_params(response)["code"])).json()
    claims = (await client.get("/api/jwt/validate", headers={"Authorization": f"Bearer {tokens['access_token']}"})).json()["jwt"]
    assert abs(claims["auth_time"] - logged_in_at) <= 1 and claims["iat"] >= logged_in_at + 300


async def test_sso_session_expires(client: httpx.AsyncClient, world: World) -> None:
    await login(client, authorize_params(world.store["id"], STORE_CB))
    clock.advance(world.reg.settings.sso_session_ttl_seconds + 1)
    response = await client.get("/oauth2/authorize", params=authorize_params(world.store["id"], STORE_CB))
    assert response.status_code == 200 and 'name="password"' in response.text


async def test_sso_cookie_is_stored_as_digest(client: httpx.AsyncClient, world: World) -> None:
    await login(client, authorize_params(world.store["id"], STORE_CB))
    value = client.cookies.get(SSO)
    assert value
    from sqlalchemy import select

    from authgate.storage.schema import sso_sessions

    async with world.reg.db.engine.connect() as conn:
        rows = (await conn.execute(select(sso_sessions))).mappings().all()
    assert len(rows) == 1 and value not in str(dict(rows[0]))


async def test_authorize_by_post_answers_303(client: httpx.AsyncClient, world: World) -> None:
    await login(client, authorize_params(world.store["id"], STORE_CB))
    response = await client.post("/oauth2/authorize", data=authorize_params(world.store["id"], STORE_CB))
    assert response.status_code == 303 and "code" in redirect_params(response)


async def test_hostile_parameters_are_escaped_on_the_page(client: httpx.AsyncClient, world: World) -> None:
    evil = '"><script>alert(1)</script>'
    response = await client.get("/oauth2/authorize", params=authorize_params(world.store["id"], STORE_CB, state=evil,
                                                                              login_hint=evil))
    assert response.status_code == 200 and "<script>" not in response.text
    assert form_fields(response.text)["state"] == evil  # carried through intact, as data


async def test_oversized_token_parameter_is_refused(client: httpx.AsyncClient, world: World) -> None:
    from tests.oauth2.conftest import SECRET

    response = await client.post("/oauth2/token", auth=(world.store["id"], SECRET),
                                 data={"grant_type": "authorization_code", "code": "c" * 5000, "redirect_uri": STORE_CB})
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


async def test_origin_null_from_a_no_referrer_page_relies_on_the_csrf_token(client: httpx.AsyncClient,
                                                                             world: World) -> None:
    page = await client.get("/oauth2/authorize", params=authorize_params(world.store["id"], STORE_CB))
    fields = {**form_fields(page.text), "loginId": "richard@example.com", "password": PASSWORD}
    same_site = await client.post("/oauth2/authorize", data=fields, headers={"Origin": "null"})
    assert same_site.status_code == 303  # what Chromium sends for the real form
    client.cookies.clear()  # a cross-site POST (sandboxed frame: Origin null) carries no Strict cookie
    forged = await client.post("/oauth2/authorize", data=fields, headers={"Origin": "null"})
    assert forged.status_code == 403 and client.cookies.get(SSO) is None


async def test_a_sibling_subdomain_with_a_planted_csrf_cookie_is_refused(client: httpx.AsyncClient,
                                                                        world: World) -> None:
    """A page on another subdomain of the same site can set the CSRF cookie (Domain=) and post the
    form with Origin: null; the browser's fetch metadata still tells it apart from our own form."""
    page = await client.get("/oauth2/authorize", params=authorize_params(world.store["id"], STORE_CB))
    fields = {**form_fields(page.text), "loginId": "richard@example.com", "password": PASSWORD}
    for site in ("same-site", "cross-site"):
        forged = await client.post("/oauth2/authorize", data=fields, headers={"Origin": "null", "Sec-Fetch-Site": site})
        assert forged.status_code == 403 and client.cookies.get(SSO) is None, site
    ours = await client.post("/oauth2/authorize", data=fields, headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"})
    assert ours.status_code == 303 and client.cookies.get(SSO)
