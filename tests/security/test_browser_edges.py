"""What a browser sees: tokens in URLs, cookie flags, CORS for unregistered origins."""
from __future__ import annotations

from http.cookies import SimpleCookie

import httpx
import pytest

from authgate.console import CONSOLE_APP_ID
from authgate.web.app import create_app
from tests.conftest import IDP
from tests.factories import make_application, make_user

STORE = "http://store.authgate.localhost:8081"


@pytest.fixture
def backend() -> str:
    """Edge behaviour, the same on every database: SQLite only, to save time."""
    return "sqlite"


async def _login(client, registry) -> dict:
    app = await make_application(registry)
    await make_user(registry, apps=[app])
    r = await client.post("/api/login", json={"loginId": "richard@example.com", "password": "password",
                                              "applicationId": app["id"]})
    assert r.status_code == 200
    client.cookies.clear()
    return r.json()


async def test_access_token_in_the_query_is_never_a_credential(client, registry):
    """RFC 6750 section 2.3 / RFC 9700 section 4.3.2 / CWE-598 (credentials in a GET query string):
    `?access_token=` is ignored by /api/jwt/validate and /oauth2/userinfo, so URLs (logs, Referer,
    history) never carry a working token."""
    token = (await _login(client, registry))["token"]
    assert (await client.get("/api/jwt/validate", headers={"Authorization": f"Bearer {token}"})).status_code == 200
    assert (await client.get("/api/jwt/validate", params={"access_token": token})).status_code == 401
    assert (await client.get("/api/jwt/validate", params={"token": token, "jwt": token})).status_code == 401
    userinfo = await client.get("/oauth2/userinfo", params={"access_token": token})
    if userinfo.status_code != 404:  # the route exists once the OIDC endpoints are in
        assert userinfo.status_code == 401
        posted = await client.post("/oauth2/userinfo", params={"access_token": token})
        assert posted.status_code == 401


@pytest.mark.parametrize("scheme", ["http", "https"])
async def test_login_cookies_are_httponly_lax_host_only(registry, scheme):
    """CWE-1004 (no HttpOnly), CWE-614 (no Secure over https), CWE-1275 (SameSite): the token cookies
    are HttpOnly, SameSite=Lax, Path=/, without Domain, and Secure with the `__Host-` prefix over https; logout
    expires them the same way."""
    app = create_app(registry.settings, registry)
    base = IDP.replace("http", scheme, 1)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base) as client:
        await _login(client, registry)
        r = await client.post("/api/login", json={"loginId": "richard@example.com", "password": "password",
                                                  "applicationId": next(a["id"] for a in await registry.db.applications.list()
                                                                       if a["id"] != CONSOLE_APP_ID)})
        logout = await client.post("/api/logout", json={})
    for response, expired in ((r, False), (logout, True)):
        cookies = {}
        for header in response.headers.get_list("set-cookie"):
            cookies.update(SimpleCookie(header))
        prefix = "__Host-" if scheme == "https" else ""  # a sibling subdomain cannot set __Host- cookies
        assert set(cookies) == {prefix + "access_token", prefix + "refresh_token"}, response.headers.get_list("set-cookie")
        for morsel in cookies.values():
            assert morsel["httponly"] is True and morsel["samesite"].lower() == "lax" and morsel["path"] == "/"
            assert morsel["domain"] == ""
            assert bool(morsel["secure"]) == (scheme == "https")
            if expired:
                assert morsel["max-age"] == "0" or "1970" in morsel["expires"]


UNREGISTERED = [
    "null",  # sandboxed iframes, file:, data: (CVE-2019-11357-style "null" reflection)
    "http://store.authgate.localhost.evil.com",  # suffix trick
    "http://store.authgate.localhost:8081.evil.com",
    "http://evilstore.authgate.localhost:8081",  # prefix trick
    "http://evil.com/http://store.authgate.localhost:8081",
    "http://store.authgate.localhost:8081@evil.com",  # userinfo trick
    "https://store.authgate.localhost:8081",  # scheme variant
    "http://store.authgate.localhost:8082",  # port variant
    "http://store.authgate.localhost",  # default port variant
    "http://store.authgate.localhost:8081/",  # trailing slash (not an origin serialization)
    "HTTP://STORE.AUTHGATE.LOCALHOST:8081",  # case variant: browsers never send it
    "http://store.authgate.localhost:8081\r\nX-Injected: 1".replace("\r\n", " "),
    "*",
]


@pytest.mark.parametrize("origin", UNREGISTERED)
async def test_cors_never_reflects_an_unregistered_origin(client, registry, origin):
    """CWE-942 (permissive cross-domain policy) / Fetch standard CORS: only an exact, registered origin
    gets Access-Control-Allow-Origin (with credentials); look-alikes get nothing, preflights 403."""
    await make_application(registry, oauthConfiguration={"authorizedOriginURLs": [STORE]})
    pre = await client.options("/api/login", headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
    assert pre.status_code == 403
    assert "access-control-allow-origin" not in pre.headers
    for method, path in (("POST", "/api/login"), ("GET", "/api/jwt/validate"), ("POST", "/api/jwt/refresh")):
        r = await client.request(method, path, json={} if method == "POST" else None, headers={"Origin": origin})
        assert "access-control-allow-origin" not in r.headers, (method, path)
        assert "access-control-allow-credentials" not in r.headers
        assert "Origin" in r.headers.get("vary", "")
    # The registered one still works, so the refusals above are not just CORS being off.
    ok = await client.options("/api/login", headers={"Origin": STORE, "Access-Control-Request-Method": "POST"})
    assert ok.headers["access-control-allow-origin"] == STORE
