"""Login CSRF and forced logout (issue 15, finding 2), over HTTP: what a cross-site form or a
`no-cors` fetch can send -- no Content-Type (a Blob body), `text/plain`, an empty body, a foreign
or `null` Origin -- neither logs a browser in (/api/login, /api/jwt/refresh set our cookies) nor
out (/api/logout with our cookies). The SPA's own credentialed calls from its registered origin,
and API clients without cookies, keep working. The same attack in Chromium from a real sibling
page: attack-matrix row 11 (tests/attacks/test_matrix.py)."""
from __future__ import annotations

import json

import pytest

from tests.factories import make_application, make_user

STORE = "http://store.authgate.localhost:8081"
EVIL = "http://evil.authgate.localhost:8090"
JSON = {"Content-Type": "application/json"}


@pytest.fixture
async def world(registry):
    app = await make_application(registry, oauthConfiguration={"authorizedOriginURLs": [STORE]})
    await make_user(registry, apps=[app])
    await make_user(registry, email="mallory@example.com", password="mallory-password", apps=[app])
    return app


def _login_body(app, who: str = "mallory@example.com", password: str = "mallory-password") -> bytes:
    return json.dumps({"loginId": who, "password": password, "applicationId": app["id"]}).encode()


@pytest.mark.parametrize("headers", [
    {},  # fetch(url, {mode: 'no-cors', body: new Blob([json])}): no Content-Type at all
    {"Content-Type": "text/plain"},  # <form enctype="text/plain"> or a no-cors fetch with a string body
    {"Content-Type": "application/x-www-form-urlencoded"},
    {"Content-Type": "text/plain", "Origin": EVIL, "Sec-Fetch-Site": "same-site"},
], ids=["blob-no-type", "text-plain", "urlencoded", "text-plain-from-sibling"])
async def test_a_simple_request_cannot_log_a_browser_in(client, world, headers):
    r = await client.post("/api/login", content=_login_body(world), headers=headers)
    assert r.status_code == 400 and r.json()["generalErrors"][0]["code"] == "[invalid]contentType"
    assert "set-cookie" not in r.headers and "token" not in r.text


@pytest.mark.parametrize("origin,site", [(EVIL, "same-site"), ("null", "cross-site"), ("https://evil.example", "cross-site"),
                                         (None, "same-site"), (None, "cross-site")])
async def test_a_foreign_origin_cannot_log_a_browser_in_even_with_json(client, world, origin, site):
    """What a browser could only send after a CORS preflight the IdP refuses -- refused again here."""
    headers = {**JSON, "Sec-Fetch-Site": site, **({"Origin": origin} if origin else {})}
    r = await client.post("/api/login", content=_login_body(world), headers=headers)
    assert r.status_code == 403 and "set-cookie" not in r.headers and "token" not in r.text


async def test_the_spa_logs_in_refreshes_and_logs_out_from_its_registered_origin(client, world):
    from_store = {**JSON, "Origin": STORE, "Sec-Fetch-Site": "same-site"}
    login = await client.post("/api/login", content=_login_body(world, "richard@example.com", "password"), headers=from_store)
    assert login.status_code == 200 and client.cookies.get("refresh_token")
    refreshed = await client.post("/api/jwt/refresh", content=b"{}", headers=from_store)
    assert refreshed.status_code == 200
    out = await client.post("/api/logout", content=b"{}", headers=from_store)
    assert out.status_code == 200 and not client.cookies.get("refresh_token")


async def _logged_in(client, world) -> str:
    login = await client.post("/api/login", content=_login_body(world, "richard@example.com", "password"), headers=JSON)
    assert login.status_code == 200
    return login.json()["refreshToken"]


@pytest.mark.parametrize("content,headers", [
    (b"", {"Content-Type": "text/plain"}),  # the field-less text/plain form of the pen-test
    (b"", {}),
    (b"", JSON),  # even typed as JSON: a body is expected (what a form cannot make)
    (b"{}", {"Content-Type": "text/plain", "Origin": EVIL}),
    (b"{}", {**JSON, "Origin": EVIL, "Sec-Fetch-Site": "same-site"}),
    (b"{}", {**JSON, "Origin": "null"}),
], ids=["empty-text-plain", "empty-untyped", "empty-json", "text-plain-sibling", "json-sibling", "json-null-origin"])
async def test_a_cross_site_request_cannot_log_a_browser_out(client, world, content, headers):
    refresh_token = await _logged_in(client, world)
    r = await client.post("/api/logout", content=content, headers=headers)
    assert r.status_code in (400, 403) and "set-cookie" not in r.headers
    assert client.cookies.get("refresh_token") == refresh_token
    still = await client.post("/api/jwt/refresh", content=b"{}", headers=JSON)
    assert still.status_code == 200  # the session was not ended


@pytest.mark.parametrize("content,headers", [
    (b"", {}), (b"{}", {"Content-Type": "text/plain"}), (b"{}", {**JSON, "Origin": EVIL}),
    (b"{}", {**JSON, "Sec-Fetch-Site": "cross-site"}),
])
async def test_a_cross_site_request_cannot_refresh_with_the_cookie(client, world, content, headers):
    await _logged_in(client, world)
    r = await client.post("/api/jwt/refresh", content=content, headers=headers)
    assert r.status_code in (400, 403) and "set-cookie" not in r.headers and "token" not in r.text


async def test_api_clients_without_cookies_are_unaffected(client, world, registry):
    """FusionAuth's clients log out with query parameters and no body; they hold no cookies."""
    refresh_token = await _logged_in(client, world)
    client.cookies.clear()
    r = await client.post("/api/logout", params={"refreshToken": refresh_token})
    assert r.status_code == 200
    row = await registry.db.refresh_tokens.find_by_token(refresh_token)
    assert row["revoked_instant"] is not None


async def test_no_json_endpoint_accepts_an_untyped_body(client, admin):
    """The no-cors Blob carries no Content-Type: refused by every JSON endpoint, cookie or not."""
    for path in ("/api/login", "/api/jwt/refresh", "/api/logout", "/api/user", "/api/application"):
        r = await client.post(path, content=b'{"loginId": "a", "password": "b"}', headers=admin)
        assert r.status_code == 400, (path, r.status_code)


async def test_preflight_from_a_sibling_gets_no_cors_grant(client, world):
    r = await client.options("/api/login", headers={"Origin": EVIL, "Access-Control-Request-Method": "POST",
                                                    "Access-Control-Request-Headers": "content-type"})
    assert r.status_code == 403 and "access-control-allow-origin" not in r.headers
