"""Routes of the modes where the browser carries the JWT: implicit-localstorage, implicit-cookie,
native-refresh-cookie (the seeds' workflows)."""
from __future__ import annotations

import json
import re

import pytest

from .conftest import FORUMS_CLIENT, ISSUER, STORE_CLIENT, STORE_ORIGIN, USER_ID, unsigned

TOKEN_MODES = ["implicit-localstorage", "implicit-cookie", "native-refresh-cookie"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def page_config(html: str) -> dict:
    import html as htmlmod

    match = re.search(r'<meta name="authgate-config" content="([^"]*)">', html)
    assert match
    return json.loads(htmlmod.unescape(match.group(1)))


@pytest.mark.parametrize("mode", TOKEN_MODES)
@pytest.mark.parametrize("path", ["/", "/oauth-redirect"])
async def test_spa_is_served_with_mode_and_strict_csp(make_client, mode, path):
    client = await make_client(mode)
    response = await client.get(path)
    assert response.status_code == 200
    assert f'<strong id="mode">{mode}</strong>' in response.text
    cfg = page_config(response.text)
    assert cfg["mode"] == mode and cfg["clientId"] == STORE_CLIENT and cfg["idp"] == ISSUER
    assert cfg["vulnerableDemo"] is False
    csp = response.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "'unsafe-inline'" not in csp
    assert f"connect-src 'self' {ISSUER}" in csp and "frame-ancestors 'none'" in csp


async def test_shared_javascript_is_served(make_client):
    client = await make_client("implicit-cookie")
    response = await client.get("/static/spa.js")
    assert response.status_code == 200 and "javascript" in response.headers["content-type"]


async def test_vulnerable_demo_relaxes_csp_only_when_asked(make_client):
    client = await make_client("implicit-localstorage", vulnerable_demo=True)
    response = await client.get("/")
    assert "script-src 'self' 'unsafe-inline'" in response.headers["content-security-policy"]
    assert page_config(response.text)["vulnerableDemo"] is True


@pytest.mark.parametrize("mode", TOKEN_MODES)
async def test_user_is_404_without_a_valid_jwt_and_200_with_one(make_client, idp, mode):
    client = await make_client(mode)
    missing = await client.get("/api/user")
    assert missing.status_code == 404 and missing.json()["error"] == "not_logged_in"
    expired = await client.get("/api/user", headers=bearer(idp.mint(exp_in=-600)))
    assert expired.status_code == 404
    ok = await client.get("/api/user", headers=bearer(idp.mint()))
    assert ok.status_code == 200
    assert ok.json()["sub"] == USER_ID and ok.json()["email"] == "richard@example.com"


@pytest.mark.parametrize("mode", TOKEN_MODES)
async def test_cart_with_bearer_jwt(make_client, idp, mode):
    client = await make_client(mode)
    response = await client.get("/api/load-shopping-cart", headers=bearer(idp.mint()))
    assert response.status_code == 200
    texts = [item["text"] for item in response.json()["items"]]
    assert texts == ["2 x Earl Grey tea, 100 g", "1 x authgate mug"]  # the starter cart


@pytest.mark.parametrize("mode", TOKEN_MODES)
async def test_an_id_token_as_bearer_gets_401(make_client, idp, mode):
    """Issue 15 finding 8: the pen-tester's `Authorization: Bearer <id_token>` got 200/201. An id_token
    (typ JWT, for the client: OpenID Connect Core 2) is signed by the same IdP key, with this app as
    its audience; only the access token's `typ: at+jwt` (RFC 9068) tells them apart."""
    client = await make_client(mode)
    id_token = idp.mint(header={"typ": "JWT"}, nonce="n-123", at_hash="abc", auth_time=int(idp.clock()))
    for method, path, body in (("GET", "/api/load-shopping-cart", None), ("POST", "/api/cart/items", {"productId": "book"})):
        response = await client.request(method, path, headers=bearer(id_token), json=body)
        assert response.status_code == 401 and response.json()["error"] == "invalid_token", (path, response.text)
    assert (await client.get("/api/load-shopping-cart", headers=bearer(idp.mint()))).status_code == 200


async def test_carts_are_per_user(make_client, idp):
    client = await make_client("implicit-localstorage")
    await client.post("/api/cart/items", json={"productId": "book"}, headers=bearer(idp.mint()))
    other = await client.get("/api/load-shopping-cart", headers=bearer(idp.mint(sub="someone-else")))
    mine = await client.get("/api/load-shopping-cart", headers=bearer(idp.mint()))
    assert "1 x OAuth 2 in Action" in [i["text"] for i in mine.json()["items"]]
    assert "1 x OAuth 2 in Action" not in [i["text"] for i in other.json()["items"]]


async def test_cart_without_jwt_is_401_with_bare_challenge(make_client):
    client = await make_client("implicit-cookie")
    response = await client.get("/api/load-shopping-cart")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"] == "unauthorized"


async def test_expired_jwt_is_401_saying_so(make_client, idp):
    client = await make_client("implicit-localstorage")
    response = await client.get("/api/load-shopping-cart", headers=bearer(idp.mint(exp_in=-600)))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == \
        'Bearer error="invalid_token", error_description="The access token expired"'
    assert response.json() == {"error": "invalid_token", "error_description": "The access token expired"}


BAD_TOKENS = {
    "tampered": lambda idp: (lambda h, p, s: f"{h}.{idp.mint(sub='admin').split('.')[1]}.{s}")(*idp.mint().split(".")),
    "expired": lambda idp: idp.mint(exp_in=-600),
    "wrong-audience": lambda idp: idp.mint(aud=FORUMS_CLIENT),
    "alg-none": lambda idp: unsigned({"iss": ISSUER, "aud": STORE_CLIENT, "sub": USER_ID,
                                      "exp": int(idp.clock()) + 300}, {"alg": "none"}),
    "wrong-issuer": lambda idp: idp.mint(iss="http://evil.authgate.localhost"),
    "garbage": lambda idp: "garbage",
}


@pytest.mark.parametrize("mode", TOKEN_MODES)
@pytest.mark.parametrize("case", BAD_TOKENS)
async def test_bad_jwts_get_401_json(make_client, idp, mode, case):
    client = await make_client(mode)
    response = await client.get("/api/load-shopping-cart", headers=bearer(BAD_TOKENS[case](idp)))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token" and response.json()["error_description"]
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')


@pytest.mark.parametrize("mode", TOKEN_MODES)
async def test_cookie_drop_sets_httponly_strict_cookie_until_exp(make_client, idp, mode):
    client = await make_client(mode)
    token = idp.mint(exp_in=300)
    response = await client.post("/api/cookie-drop", json={"token": token})
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"app_jwt={token};")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Max-Age=300" in cookie and "Secure" not in cookie and "Domain" not in cookie
    # ... and from now on the cookie alone is enough
    cart = await client.get("/api/load-shopping-cart")
    assert cart.status_code == 200 and cart.json()["owner"] == "richard@example.com"
    assert (await client.get("/api/user")).json()["sub"] == USER_ID


async def test_cookie_drop_secure_when_configured(make_client, idp):
    client = await make_client("implicit-cookie", public_origin="https://store.authgate.localhost",
                               secure_cookies=True)
    response = await client.post("/api/cookie-drop", json={"token": idp.mint()})
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-app_jwt=") and "Secure" in cookie
    assert (await client.get("/api/load-shopping-cart")).status_code == 200


@pytest.mark.parametrize("case", BAD_TOKENS)
async def test_cookie_drop_of_a_bad_jwt_sets_nothing(make_client, idp, case):
    client = await make_client("implicit-cookie")
    response = await client.post("/api/cookie-drop", json={"token": BAD_TOKENS[case](idp)})
    assert response.status_code == 401 and response.json()["error"] == "invalid_token"
    assert "set-cookie" not in response.headers
    assert (await client.get("/api/load-shopping-cart")).status_code == 401


async def test_cookie_drop_with_malformed_body_is_400_json(make_client):
    client = await make_client("implicit-cookie")
    response = await client.post("/api/cookie-drop", content=b"{nope", headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    assert "set-cookie" not in response.headers


async def test_cookie_drop_from_another_origin_is_refused(make_client, idp):
    """forums.* and store.* are the same site: SameSite does not stop this, the Origin check does."""
    client = await make_client("implicit-cookie")
    response = await client.post("/api/cookie-drop", json={"token": idp.mint()},
                                 headers={"Origin": "http://forums.authgate.localhost:8082"})
    assert response.status_code == 403 and "set-cookie" not in response.headers


async def test_add_to_cart_then_load(make_client, idp):
    client = await make_client("implicit-cookie")
    await client.post("/api/cookie-drop", json={"token": idp.mint()})
    added = await client.post("/api/cart/items", json={"productId": "socks"}, headers={"Origin": STORE_ORIGIN})
    assert added.status_code == 201
    texts = [i["text"] for i in (await client.get("/api/load-shopping-cart")).json()["items"]]
    assert "1 x Hash-function socks" in texts


async def test_add_to_cart_refuses_cross_origin_and_bad_input(make_client, idp):
    client = await make_client("implicit-cookie")
    await client.post("/api/cookie-drop", json={"token": idp.mint()})
    cross = await client.post("/api/cart/items", json={"productId": "socks"},
                              headers={"Origin": "http://evil.example"})
    assert cross.status_code == 403 and cross.json()["error"] == "csrf_rejected"
    unknown = await client.post("/api/cart/items", json={"productId": "'; DROP TABLE products; --"})
    assert unknown.status_code == 400
    texts = [i["text"] for i in (await client.get("/api/load-shopping-cart")).json()["items"]]
    assert not any("socks" in t for t in texts)


@pytest.mark.parametrize("mode, has_idp_logout", [("implicit-cookie", True), ("native-refresh-cookie", False)])
async def test_logout_clears_the_cookie(make_client, idp, mode, has_idp_logout):
    client = await make_client(mode)
    await client.post("/api/cookie-drop", json={"token": idp.mint()})
    response = await client.post("/api/logout")
    assert response.status_code == 200
    assert ("idpLogoutUrl" in response.json()) is has_idp_logout
    assert 'app_jwt=""' in response.headers["set-cookie"] and "Max-Age=0" in response.headers["set-cookie"]
    assert (await client.get("/api/user")).status_code == 404


async def test_implicit_logout_url_ends_the_idp_session(make_client):
    client = await make_client("implicit-localstorage")
    url = (await client.post("/api/logout")).json()["idpLogoutUrl"]
    assert url.startswith(ISSUER + "/oauth2/logout?") and f"client_id={STORE_CLIENT}" in url


async def test_api_responses_are_not_cached(make_client, idp):
    client = await make_client("implicit-localstorage")
    response = await client.get("/api/load-shopping-cart", headers=bearer(idp.mint()))
    assert response.headers["cache-control"] == "no-store"


async def test_xss_hook_reflects_only_in_the_vulnerable_build(make_client):
    payload = "<script>window.pwned=1</script>"
    safe = await make_client("implicit-localstorage")
    assert payload not in (await safe.get("/", params={"xss": payload})).text
    vulnerable = await make_client("implicit-localstorage", vulnerable_demo=True, forums=True)
    page = (await vulnerable.get("/", params={"xss": payload})).text
    assert f'<section id="demo-hook">{payload}</section>' in page
