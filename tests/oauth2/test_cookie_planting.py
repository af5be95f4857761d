"""SSO cookie planted from a sibling subdomain (issue 15, finding 3), over HTTP.

The pen-tester's page on evil.authgate.localhost set `fusionauth.sso` (the attacker's own session)
with `Domain=authgate.localhost`; the browser sent both copies and the IdP took the attacker's,
so the victim's next login at the Store came back as the attacker. Here the browser's Cookie
header is written by hand, as Chromium sends it. The same attack from a real sibling page in
Chromium: attack-matrix row 12 (tests/attacks/test_matrix.py)."""
from __future__ import annotations

from http.cookies import SimpleCookie

import httpx

from authgate.web.app import create_app
from authgate.web.cookies import BROWSER, REFRESH_TOKEN, SSO
from tests.conftest import IDP
from tests.factories import make_user
from tests.oauth2.conftest import PASSWORD, STORE_CB, World, authorize_params, login, redirect_params


async def _session(world: World, email: str, password: str, base: str = IDP) -> dict[str, str]:
    """Log in through the hosted form in a fresh cookie jar; the IdP cookies it got."""
    app = create_app(world.reg.settings, world.reg)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base) as browser:
        response = await login(browser, authorize_params(world.store["id"], STORE_CB), login_id=email, password=password)
        assert response.status_code == 303, response.text
        jar: SimpleCookie = SimpleCookie()
        for header in response.headers.get_list("set-cookie"):
            jar.load(header)
        return {k: v.value for k, v in jar.items()}


async def _authorize(world: World, cookie_header: str) -> httpx.Response:
    app = create_app(world.reg.settings, world.reg)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=IDP) as bare:
        return await bare.get("/oauth2/authorize", params=authorize_params(world.store["id"], STORE_CB),
                              headers={"Cookie": cookie_header})


async def _who(client: httpx.AsyncClient, world: World, response: httpx.Response) -> str:
    """The user a silent SSO answer logs in, or "login form"."""
    if response.status_code == 200 and 'name="password"' in response.text:
        return "login form"
    from tests.oauth2.conftest import redeem

    tokens = (await redeem(client, world, redirect_params(response)["code"])).json()
    claims = (await client.get("/api/jwt/validate", headers={"Authorization": f"Bearer {tokens['access_token']}"})).json()
    return str(claims["jwt"]["email"])


async def test_a_planted_second_sso_cookie_logs_nobody_in(client: httpx.AsyncClient, world: World) -> None:
    await make_user(world.reg, email="mallory@example.com", password="mallory-password", apps=[world.store])
    victim = await _session(world, "richard@example.com", PASSWORD)
    mallory = await _session(world, "mallory@example.com", "mallory-password")
    assert await _who(client, world, await _authorize(world, f"{SSO}={victim[SSO]}; {BROWSER}={victim[BROWSER]}")) \
        == "richard@example.com"  # the victim's own session works
    # Chromium's order: the victim's host-only cookies (older), then the planted Domain ones.
    for planted in (f"{SSO}={mallory[SSO]}", f"{SSO}={mallory[SSO]}; {BROWSER}={mallory[BROWSER]}"):
        header = f"{SSO}={victim[SSO]}; {BROWSER}={victim[BROWSER]}; {planted}"
        response = await _authorize(world, header)
        assert await _who(client, world, response) == "login form", planted
        cleared = [c for c in response.headers.get_list("set-cookie") if "Max-Age=0" in c]
        assert f"{SSO}=; Domain=authgate.localhost; Path=/; Max-Age=0" in cleared


async def test_a_planted_session_without_its_browser_cookie_is_no_session(client: httpx.AsyncClient,
                                                                          world: World) -> None:
    """The victim logged out (no SSO cookie) but keeps the browser cookie; the attacker plants a
    session cookie, alone or with its own browser cookie (which then collides with the victim's)."""
    await make_user(world.reg, email="mallory@example.com", password="mallory-password", apps=[world.store])
    victim = await _session(world, "richard@example.com", PASSWORD)
    mallory = await _session(world, "mallory@example.com", "mallory-password")
    for header in (f"{BROWSER}={victim[BROWSER]}; {SSO}={mallory[SSO]}",
                   f"{BROWSER}={victim[BROWSER]}; {SSO}={mallory[SSO]}; {BROWSER}={mallory[BROWSER]}"):
        assert await _who(client, world, await _authorize(world, header)) == "login form", header


async def test_two_refresh_token_cookies_refresh_nobody(client: httpx.AsyncClient, world: World) -> None:
    await make_user(world.reg, email="mallory@example.com", password="mallory-password", apps=[world.store])
    tokens = {}
    for who, password in (("richard@example.com", PASSWORD), ("mallory@example.com", "mallory-password")):
        r = await client.post("/api/login", json={"loginId": who, "password": password, "applicationId": world.store["id"]})
        tokens[who] = r.json()["refreshToken"]
    client.cookies.clear()
    r = await client.post("/api/jwt/refresh", json={}, headers={
        "Cookie": f"{REFRESH_TOKEN}={tokens['richard@example.com']}; {REFRESH_TOKEN}={tokens['mallory@example.com']}"})
    assert r.status_code == 400 and "token" not in r.json()


async def test_over_https_our_cookies_are_host_prefixed(world: World) -> None:
    """`__Host-` (RFC 6265bis 4.1.3.2): Secure, Path=/, no Domain -- a sibling cannot set such a
    cookie at all; an unprefixed one planted by a sibling is not even read."""
    https = IDP.replace("http://", "https://")
    cookies = await _session(world, "richard@example.com", PASSWORD, base=https)
    assert set(cookies) >= {"__Host-" + SSO, "__Host-" + BROWSER}
    app = create_app(world.reg.settings, world.reg)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=https) as bare:
        params = authorize_params(world.store["id"], STORE_CB)
        own = await bare.get("/oauth2/authorize", params=params, headers={
            "Cookie": f"__Host-{SSO}={cookies['__Host-' + SSO]}; __Host-{BROWSER}={cookies['__Host-' + BROWSER]}"})
        assert own.status_code == 302
        unprefixed = await bare.get("/oauth2/authorize", params=params, headers={
            "Cookie": f"{SSO}={cookies['__Host-' + SSO]}; {BROWSER}={cookies['__Host-' + BROWSER]}"})
        assert unprefixed.status_code == 200 and 'name="password"' in unprefixed.text
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=https) as browser:
        done = await login(browser, authorize_params(world.store["id"], STORE_CB))
        for header in done.headers.get_list("set-cookie"):
            if header.startswith("__Host-"):
                assert "Secure" in header and "Path=/" in header and "Domain" not in header, header
