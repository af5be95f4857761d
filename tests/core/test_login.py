"""POST /api/login: every status code of API.md, cookies, lockout, rehash on login."""
from __future__ import annotations

import base64
import hashlib
import json

from authgate.clock import clock
from authgate.passwords import encode_pbkdf2
from tests.factories import make_application, make_user


async def test_login_returns_jwt_refresh_token_user_and_cookies(client, registry):
    app = await make_application(registry)
    user = await make_user(registry, apps=[app], roles=["customer"])
    r = await client.post("/api/login", json={"loginId": "Richard@Example.com", "password": "password",
                                              "applicationId": app["id"]})
    assert r.status_code == 200
    body = r.json()
    assert body["user"]["id"] == user["id"] and "password" not in body["user"]
    assert body["user"]["registrations"][0]["roles"] == ["customer"]
    assert body["refreshToken"] and body["refreshTokenId"] and body["tokenExpirationInstant"] > clock.now_ms()
    cookies = {c.split("=", 1)[0]: c for c in r.headers.get_list("set-cookie")}
    for name in ("access_token", "refresh_token"):
        flags = cookies[name].lower()
        assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags and "domain" not in flags
    assert "max-age" in cookies["refresh_token"].lower() and "max-age" not in cookies["access_token"].lower()
    v = await client.get("/api/jwt/validate", headers={"Authorization": f"Bearer {body['token']}"})
    claims = v.json()["jwt"]
    assert claims["sub"] == user["id"] and claims["aud"] == app["id"] and claims["applicationId"] == app["id"]
    assert claims["roles"] == ["customer"] and claims["authenticationType"] == "PASSWORD"
    assert claims["email"] == "richard@example.com" and claims["iss"] == registry.issuer


async def test_secure_cookie_flag_over_https(client, registry):
    app = await make_application(registry)
    await make_user(registry, apps=[app])
    r = await client.post("https://idp.example.com/api/login",
                          json={"loginId": "richard@example.com", "password": "password", "applicationId": app["id"]})
    assert all("secure" in c.lower() for c in r.headers.get_list("set-cookie"))


async def test_no_refresh_token_unless_the_application_enables_it(client, registry):
    app = await make_application(registry, loginConfiguration={"generateRefreshTokens": False, "requireAuthentication": False})
    await make_user(registry, apps=[app])
    r = await client.post("/api/login", json={"loginId": "richard@example.com", "password": "password", "applicationId": app["id"]})
    assert r.status_code == 200 and "refreshToken" not in r.json() and r.json()["token"]


async def test_unknown_user_and_wrong_password_look_identical(client, registry):
    await make_user(registry)
    wrong = await client.post("/api/login", json={"loginId": "richard@example.com", "password": "nope"})
    unknown = await client.post("/api/login", json={"loginId": "nobody@example.com", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.content == unknown.content
    assert not wrong.headers.get_list("set-cookie") and not unknown.headers.get_list("set-cookie")


async def test_202_when_not_registered_for_the_application(client, registry):
    app = await make_application(registry)
    await make_user(registry)
    r = await client.post("/api/login", json={"loginId": "richard@example.com", "password": "password", "applicationId": app["id"]})
    assert r.status_code == 202 and "token" not in r.json() and r.json()["user"]["email"] == "richard@example.com"


async def test_validation_errors_name_the_field(client, registry):
    r = await client.post("/api/login", json={"password": "x"})
    assert r.status_code == 400 and r.json()["fieldErrors"]["loginId"][0]["code"] == "[blank]loginId"
    r = await client.post("/api/login", json={"loginId": "a@b.c"})
    assert r.json()["fieldErrors"]["password"][0]["code"] == "[blank]password"
    r = await client.post("/api/login", json={"loginId": 5, "password": "x"})
    assert r.status_code == 400 and r.json()["fieldErrors"]["loginId"][0]["code"] == "[invalid]loginId"
    r = await client.post("/api/login", content=b'{"loginId": ', headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "generalErrors" in r.json()
    r = await client.post("/api/login", json=["not", "an", "object"])
    assert r.status_code == 400
    r = await client.post("/api/login", json={"loginId": "a", "password": "b", "applicationId": "no-such-app"})
    assert r.status_code == 400 and "applicationId" in r.json()["fieldErrors"]


async def test_lockout_after_threshold_then_expires(client, registry):
    s = registry.settings
    await make_user(registry)
    for _ in range(s.failed_login_threshold):
        assert (await client.post("/api/login", json={"loginId": "richard@example.com", "password": "bad"})).status_code == 404
    locked = await client.post("/api/login", json={"loginId": "richard@example.com", "password": "password"})
    assert locked.status_code == 409 and locked.json()["generalErrors"][0]["code"] == "[UserLockedException]"
    clock.advance(s.lockout_seconds + 1)
    ok = await client.post("/api/login", json={"loginId": "richard@example.com", "password": "password"})
    assert ok.status_code == 200
    # A success resets the counter: one more failure does not lock again.
    await client.post("/api/login", json={"loginId": "richard@example.com", "password": "bad"})
    assert (await client.post("/api/login", json={"loginId": "richard@example.com", "password": "password"})).status_code == 200


async def test_failures_outside_the_window_do_not_add_up(client, registry):
    s = registry.settings
    await make_user(registry)
    for _ in range(s.failed_login_threshold - 1):
        await client.post("/api/login", json={"loginId": "richard@example.com", "password": "bad"})
    clock.advance(s.failed_login_window_seconds + 1)
    await client.post("/api/login", json={"loginId": "richard@example.com", "password": "bad"})
    assert (await client.post("/api/login", json={"loginId": "richard@example.com", "password": "password"})).status_code == 200


async def test_inactive_user_423_and_expired_user_410(client, registry):
    await make_user(registry, email="locked@example.com", active=False)
    await make_user(registry, email="old@example.com", expiry=clock.now_ms() - 1000)
    assert (await client.post("/api/login", json={"loginId": "locked@example.com", "password": "password"})).status_code == 423
    assert (await client.post("/api/login", json={"loginId": "old@example.com", "password": "password"})).status_code == 410


async def test_application_requiring_authentication_needs_an_api_key(client, registry, admin):
    app = await make_application(registry, loginConfiguration={"requireAuthentication": True})
    await make_user(registry, apps=[app])
    body = {"loginId": "richard@example.com", "password": "password", "applicationId": app["id"]}
    assert (await client.post("/api/login", json=body)).status_code == 401
    assert (await client.post("/api/login", json=body, headers=admin)).status_code == 200


async def test_imported_pbkdf2_hash_is_upgraded_to_argon2id(client, registry):
    salt = base64.b64encode(b"0123456789abcdef").decode()
    derived = base64.b64encode(hashlib.pbkdf2_hmac("sha256", b"password", b"0123456789abcdef", 24000, 32)).decode()
    user = await registry.db.users.create({"email": "imported@example.com"}, encode_pbkdf2(24000, salt, derived))
    assert (await client.post("/api/login", json={"loginId": "imported@example.com", "password": "wrong"})).status_code == 404
    assert (await registry.db.users.get(user["id"]))["password_hash"].startswith("$pbkdf2-sha256$")
    assert (await client.post("/api/login", json={"loginId": "imported@example.com", "password": "password"})).status_code == 200
    assert (await registry.db.users.get(user["id"]))["password_hash"].startswith("$argon2id$")
    assert (await client.post("/api/login", json={"loginId": "imported@example.com", "password": "password"})).status_code == 200


async def test_imported_bcrypt_hash_is_upgraded(client, registry):
    import bcrypt

    user = await registry.db.users.create({"email": "b@example.com"}, bcrypt.hashpw(b"password", bcrypt.gensalt(4)).decode())
    assert (await client.post("/api/login", json={"loginId": "b@example.com", "password": "password"})).status_code == 200
    assert (await registry.db.users.get(user["id"]))["password_hash"].startswith("$argon2id$")


async def test_a_json_body_declared_as_another_type_is_refused(client, registry):
    """A cross-site HTML form can post `text/plain` that is JSON, without a CORS preflight (login
    CSRF: the answer would set the attacker's tokens as the victim's cookies). FastAPI refused it
    for a model body; the handlers that read their own JSON refuse it too."""
    app = await make_application(registry)
    await make_user(registry, apps=[app])
    body = json.dumps({"loginId": "richard@example.com", "password": "password", "applicationId": app["id"]})
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        r = await client.post("/api/login", content=body, headers={"Content-Type": ctype, "Origin": "https://evil.example"})
        assert r.status_code == 400 and "set-cookie" not in r.headers, (ctype, r.status_code)
        assert r.json()["generalErrors"][0]["code"] == "[invalid]contentType"
    for ctype in ("application/json", "application/json; charset=utf-8", "application/vnd.api+json"):
        assert (await client.post("/api/login", content=body, headers={"Content-Type": ctype})).status_code == 200, ctype
    client.cookies.clear()
    assert (await client.post("/api/logout", content='{"global": true}', headers={"Content-Type": "text/plain"})).status_code == 400
