"""code-pkce-cookie and bff: the backend runs the authorization code grant with PKCE and the
browser never holds a token."""
from __future__ import annotations

import base64
import hashlib
import sqlite3
from urllib.parse import parse_qs, urlsplit

import pytest

from .conftest import FORUMS_CLIENT, ISSUER, STORE_CLIENT, STORE_ORIGIN, USER_ID

BACKEND_MODES = ["code-pkce-cookie", "bff"]


async def start_login(client):
    response = await client.get("/api/login")
    assert response.status_code == 302
    location = response.headers["location"]
    return response, location, {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def log_in(client, code="good"):
    _, _, query = await start_login(client)
    return await client.get("/api/oauth-callback", params={"code": code, "state": query["state"]})


def app_cookies(client):
    return {c.name: c for c in client.cookies.jar}


@pytest.mark.parametrize("mode", BACKEND_MODES)
async def test_login_redirects_to_authorize_with_pkce_and_keeps_the_verifier_server_side(make_client, mode):
    client = await make_client(mode)
    response, location, query = await start_login(client)
    assert location.startswith(ISSUER + "/oauth2/authorize?")
    assert query["response_type"] == "code" and query["client_id"] == STORE_CLIENT
    assert query["redirect_uri"] == STORE_ORIGIN + "/api/oauth-callback"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert "offline_access" in query["scope"] and query["state"] and query["nonce"]
    assert "code_verifier" not in location
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("login_tx=") and "HttpOnly" in cookie and "SameSite=lax" in cookie


@pytest.mark.parametrize("mode", BACKEND_MODES)
async def test_callback_exchanges_the_code_with_verifier_and_client_secret(make_client, idp, mode):
    client = await make_client(mode)
    _, _, query = await start_login(client)
    response = await client.get("/api/oauth-callback", params={"code": "good", "state": query["state"]})
    assert response.status_code == 303 and response.headers["location"] == "/"
    call = idp.token_calls[-1]
    verifier = call["form"]["code_verifier"]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    assert challenge == query["code_challenge"]
    assert call["form"]["grant_type"] == "authorization_code" and call["form"]["code"] == "good"
    assert call["auth"] == "Basic " + base64.b64encode(f"{STORE_CLIENT}:s3cret".encode()).decode()
    user = await client.get("/api/user")
    assert user.status_code == 200 and user.json()["sub"] == USER_ID
    assert (await client.get("/api/load-shopping-cart")).status_code == 200
    assert "login_tx" not in app_cookies(client)  # single use


async def test_code_mode_keeps_both_tokens_in_httponly_strict_cookies(make_client, idp):
    client = await make_client("code-pkce-cookie")
    response = await log_in(client)
    set_cookies = response.headers.get_list("set-cookie")
    jwt_cookie = next(c for c in set_cookies if c.startswith("app_jwt="))
    refresh_cookie = next(c for c in set_cookies if c.startswith("app_refresh="))
    for cookie in (jwt_cookie, refresh_cookie):
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Max-Age=300" in jwt_cookie


@pytest.mark.parametrize("mode", BACKEND_MODES)
@pytest.mark.parametrize("state", ["wrong", ""])
async def test_callback_with_wrong_state_logs_nobody_in(make_client, idp, mode, state):
    client = await make_client(mode)
    await start_login(client)
    response = await client.get("/api/oauth-callback", params={"code": "good", "state": state})
    assert response.headers["location"] == "/?login_error=state_mismatch"
    assert idp.token_calls == [] and (await client.get("/api/user")).status_code == 404


async def test_callback_cannot_be_replayed(make_client, idp):
    client = await make_client("code-pkce-cookie")
    _, _, query = await start_login(client)
    await client.get("/api/oauth-callback", params={"code": "good", "state": query["state"]})
    client.cookies.clear()
    again = await client.get("/api/oauth-callback", params={"code": "good", "state": query["state"]})
    assert again.headers["location"] == "/?login_error=state_mismatch" and len(idp.token_calls) == 1


async def test_forged_login_transaction_cookie_is_ignored(make_client, idp):
    client = await make_client("code-pkce-cookie")
    client.cookies.set("login_tx", "eyJzdGF0ZSI6ICJ4In0.forged", domain="store.authgate.localhost")
    response = await client.get("/api/oauth-callback", params={"code": "good", "state": "x"})
    assert response.headers["location"] == "/?login_error=state_mismatch"


@pytest.mark.parametrize("mode", BACKEND_MODES)
async def test_failed_exchange_or_foreign_token_is_reported_not_accepted(make_client, idp, mode):
    client = await make_client(mode)
    bad_code = await log_in(client, code="bad")
    assert bad_code.headers["location"] == "/?login_error=exchange_failed"
    idp.next_aud = FORUMS_CLIENT  # the IdP hands back a token for another app
    foreign = await log_in(client)
    assert foreign.headers["location"] == "/?login_error=exchange_failed"
    assert (await client.get("/api/user")).status_code == 404


async def test_idp_error_is_reported(make_client, idp):
    client = await make_client("code-pkce-cookie")
    _, _, query = await start_login(client)
    response = await client.get("/api/oauth-callback", params={"error": "access_denied", "state": query["state"]})
    assert response.headers["location"] == "/?login_error=idp_error" and idp.token_calls == []


@pytest.mark.parametrize("mode", BACKEND_MODES)
async def test_cookie_drop_is_not_offered(make_client, idp, mode):
    client = await make_client(mode)
    response = await client.post("/api/cookie-drop", json={"token": idp.mint()})
    assert response.status_code == 404 and response.json()["error"] == "not_supported"
    assert "set-cookie" not in response.headers


async def test_code_mode_refresh_through_the_backend(make_client, idp, clock):
    client = await make_client("code-pkce-cookie")
    await log_in(client)
    clock.now += 600  # the JWT (5 min) expired; the browser dropped the cookie at Max-Age
    expired = await client.get("/api/load-shopping-cart")
    assert expired.status_code == 401
    refreshed = await client.post("/api/refresh")
    assert refreshed.status_code == 200
    assert idp.token_calls[-1]["form"] == {"grant_type": "refresh_token", "refresh_token": "rt-1"}
    assert (await client.get("/api/load-shopping-cart")).status_code == 200
    assert app_cookies(client)["app_refresh"].value == "rt-2"  # the rotated refresh token


async def test_code_mode_failed_refresh_clears_cookies(make_client, idp):
    client = await make_client("code-pkce-cookie")
    await log_in(client)
    idp.refresh_ok = False
    response = await client.post("/api/refresh")
    assert response.status_code == 401 and response.json()["error"] == "invalid_grant"
    assert "app_refresh" not in app_cookies(client) and "app_jwt" not in app_cookies(client)


async def test_code_mode_refresh_without_cookie_is_401(make_client):
    client = await make_client("code-pkce-cookie")
    assert (await client.post("/api/refresh")).status_code == 401


@pytest.mark.parametrize("mode", BACKEND_MODES)
async def test_logout_revokes_and_clears(make_client, idp, mode):
    client = await make_client(mode)
    await log_in(client)
    csrf = (await client.get("/api/user")).json().get("csrfToken", "")
    response = await client.post("/api/logout", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200
    assert response.json()["idpLogoutUrl"].startswith(ISSUER + "/oauth2/logout?")
    assert idp.revoked == ["rt-1"]
    assert (await client.get("/api/user")).status_code == 404


async def test_bff_browser_gets_only_an_opaque_session(make_client, idp, tmp_path):
    client = await make_client("bff")
    response = await log_in(client)
    names = [c.split("=")[0] for c in response.headers.get_list("set-cookie")]
    assert "bff_session" in names and "app_jwt" not in names and "app_refresh" not in names
    session_id = app_cookies(client)["bff_session"].value
    assert session_id.count(".") == 0  # not a JWT
    with sqlite3.connect(tmp_path / "store-bff.db") as conn:
        stored = [row[0] for row in conn.execute("SELECT id_digest FROM bff_sessions")]
    conn.close()
    assert stored and session_id not in stored  # only a digest is kept
    assert (await client.get("/api/load-shopping-cart")).status_code == 200


async def test_bff_ignores_bearer_tokens(make_client, idp):
    client = await make_client("bff")
    response = await client.get("/api/load-shopping-cart", headers={"Authorization": f"Bearer {idp.mint()}"})
    assert response.status_code == 401


@pytest.mark.parametrize("headers", [{}, {"X-CSRF-Token": "guess"}, "cross-origin"])
async def test_bff_refuses_state_changes_without_csrf_token(make_client, idp, headers):
    client = await make_client("bff")
    await log_in(client)
    token = (await client.get("/api/user")).json()["csrfToken"]
    if headers == "cross-origin":
        headers = {"X-CSRF-Token": token, "Origin": "http://forums.authgate.localhost:8082"}
    response = await client.post("/api/cart/items", json={"productId": "socks"}, headers=headers)
    assert response.status_code == 403 and response.json()["error"] == "csrf_rejected"
    texts = [i["text"] for i in (await client.get("/api/load-shopping-cart")).json()["items"]]
    assert not any("socks" in t for t in texts)
    assert (await client.post("/api/logout", headers=headers)).status_code == 403


async def test_bff_accepts_state_changes_with_csrf_token(make_client, idp):
    client = await make_client("bff")
    await log_in(client)
    token = (await client.get("/api/user")).json()["csrfToken"]
    response = await client.post("/api/cart/items", json={"productId": "socks"},
                                 headers={"X-CSRF-Token": token, "Origin": STORE_ORIGIN})
    assert response.status_code == 201


async def test_bff_refreshes_server_side_when_the_jwt_expires(make_client, idp, clock):
    client = await make_client("bff")
    await log_in(client)
    clock.now += 600
    assert (await client.get("/api/load-shopping-cart")).status_code == 200
    assert idp.token_calls[-1]["form"]["grant_type"] == "refresh_token"
    assert (await client.get("/api/load-shopping-cart")).status_code == 200
    assert len(idp.token_calls) == 2  # the new JWT was stored: no refresh per request


async def test_bff_session_ends_when_refresh_fails(make_client, idp, clock):
    client = await make_client("bff")
    await log_in(client)
    clock.now += 600
    idp.refresh_ok = False
    assert (await client.get("/api/load-shopping-cart")).status_code == 401
    idp.refresh_ok = True
    assert (await client.get("/api/user")).status_code == 404  # session deleted, not retried


async def test_bff_secure_cookie_uses_host_prefix(make_client, idp):
    client = await make_client("bff", public_origin="https://store.authgate.localhost", secure_cookies=True)
    response = await log_in(client)
    session_cookie = next(c for c in response.headers.get_list("set-cookie") if "bff_session" in c)
    assert session_cookie.startswith("__Host-bff_session=") and "Secure" in session_cookie
    assert (await client.get("/api/user")).status_code == 200


def test_backend_modes_require_a_client_secret(tmp_path):
    from .conftest import config

    with pytest.raises(ValueError, match="client_secret"):
        config("bff", tmp_path, client_secret="")
