"""SQL and template injection strings in every string field of login, refresh, validate and user
search: no 500, no effect (CWE-89 SQL injection, CWE-1336 template injection, CWE-158 NUL bytes)."""
from __future__ import annotations

from typing import Any

import pytest

from tests.factories import make_application, make_user

PAYLOADS = [
    "' OR '1'='1", "' OR 1=1 --", "\" OR \"\"=\"", "admin'--", "'; DROP TABLE users; --",
    "richard@example.com' --", "%' OR email LIKE '%", "*", "%", "_", "\\", "1; SELECT pg_sleep(5)",
    "{{7*7}}", "${7*7}", "<%= 7*7 %>", "#{7*7}", "{% raw %}", "\x00", "richard@example.com\x00x",
    "\u202e", "A" * 5000,
]


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"argon2_memory_kib": 1024, "argon2_time_cost": 1, "failed_login_threshold": 10_000}


@pytest.fixture
async def seeded(registry):
    app = await make_application(registry)
    user = await make_user(registry, apps=[app])
    return app, user


async def _unharmed(client, registry, app) -> None:
    """The users table is whole and the real user still logs in."""
    assert (await registry.db.users.search(None, None, 0, 10))[0] == 1
    r = await client.post("/api/login", json={"loginId": "richard@example.com", "password": "password",
                                              "applicationId": app["id"]})
    assert r.status_code == 200
    client.cookies.clear()


async def test_login_fields(client, registry, seeded):
    """CWE-89/CWE-1336 on POST /api/login: loginId, password, applicationId, ipAddress."""
    app, _ = seeded
    for payload in PAYLOADS:
        bodies = [{"loginId": payload, "password": "password"}, {"loginId": "richard@example.com", "password": payload},
                  {"loginId": "richard@example.com", "password": "password", "applicationId": payload},
                  {"loginId": payload, "password": payload, "ipAddress": payload}]
        for body in bodies:
            r = await client.post("/api/login", json=body)
            assert r.status_code in (400, 404), (body, r.status_code, r.text)
            assert "49" not in r.text  # a template engine never evaluated 7*7
    await _unharmed(client, registry, app)


async def test_refresh_and_validate(client, registry, seeded):
    """CWE-89 on POST /api/jwt/refresh (body and cookie) and GET /api/jwt/validate (Bearer and cookie)."""
    app, _ = seeded
    for payload in PAYLOADS:
        r = await client.post("/api/jwt/refresh", json={"refreshToken": payload})
        assert r.status_code == 400, r.text
        if payload.isprintable() and payload.isascii():
            client.cookies.set("refresh_token", payload)
            assert (await client.post("/api/jwt/refresh", json={})).status_code == 400
            client.cookies.clear()
            client.cookies.set("access_token", payload)
            assert (await client.get("/api/jwt/validate")).status_code == 401
            client.cookies.clear()
            assert (await client.get("/api/jwt/validate", headers={"Authorization": f"Bearer {payload}"})).status_code == 401
    await _unharmed(client, registry, app)


async def test_user_search(client, registry, admin, seeded):
    """CWE-89 on /api/user/search: queryString (GET and POST) and ids; wildcards are not a bypass."""
    app, _ = seeded
    for payload in PAYLOADS:
        r = await client.get("/api/user/search", params={"queryString": payload}, headers=admin)
        assert r.status_code in (200, 400), r.text
        if r.status_code == 200 and payload not in ("*", "%", "_", "%' OR email LIKE '%"):
            assert r.json()["total"] == 0, (payload, r.json())
        r = await client.post("/api/user/search", json={"search": {"queryString": payload, "ids": [payload]}}, headers=admin)
        assert r.status_code in (200, 400), r.text
        if r.status_code == 200:
            assert r.json()["total"] == 0
        r = await client.get("/api/user", params={"email": payload}, headers=admin)
        assert r.status_code in (400, 404), r.text
    await _unharmed(client, registry, app)


async def test_nul_characters_in_stored_fields(client, admin, registry):
    """CWE-158 (NUL byte): PostgreSQL cannot store U+0000; a NUL in a user's fields is a 400 there (it was
    a 500), and never a 500 on either backend."""
    for user in ({"email": "nul\u0000@example.com", "password": "password123"},
                 {"email": "ok@example.com", "password": "password123", "firstName": "a\u0000b"},
                 {"username": "x" * 400, "password": "password123"}):
        r = await client.post("/api/user", json={"user": user}, headers=admin)
        assert r.status_code in (200, 400), (user, r.status_code, r.text[:200])
        if r.status_code == 200:
            await client.delete(f"/api/user/{r.json()['user']['id']}?hardDelete=true", headers=admin)


# JSON escapes of lone UTF-16 surrogates parse in Python but are no Unicode text; each was a 500.
SURROGATE_BODIES = [
    ("/api/user", b'{"user": {"email": "\\ud800@example.com", "password": "password123"}}'),
    ("/api/user", b'{"user": {"email": "s@example.com", "password": "password123", "firstName": "\\udfff"}}'),
    ("/api/jwt/refresh", b'{"refreshToken": "\\ud800"}'),
    ("/api/user/search", b'{"search": {"queryString": "\\ud800"}}'),
    ("/api/application", b'{"application": {"name": "\\ud800"}}'),
    ("/api/user/registration", b'{"user": {"username": "\\ud83d", "password": "password123"}, "registration": {}}'),
]


async def test_lone_surrogates_in_hand_parsed_bodies(client, admin):
    """RFC 8259 section 8.2 / CWE-172 (encoding error): `"\\ud800"` is a 400, it was a 500 (UnicodeEncodeError
    when the value was hashed or stored) on both backends."""
    for path, raw in SURROGATE_BODIES:
        r = await client.post(path, content=raw, headers={"Content-Type": "application/json", **admin})
        assert r.status_code == 400, (path, raw, r.status_code, r.text[:200])
        assert r.json()["generalErrors"][0]["code"] == "[invalid]json"


async def test_values_longer_than_their_column(client, admin):
    """CWE-20: an application name over its column's 255 characters is never a 500 (PostgreSQL raised
    SQLSTATE 22001, now a 400)."""
    r = await client.post("/api/application", json={"application": {"name": "n" * 300}}, headers=admin)
    assert r.status_code in (200, 400), r.text[:200]
