"""Hostile request bodies: JSON bombs, oversize, invalid UTF-8, wrong content types, duplicate keys,
NUL characters. None may cost a 500 or more than a bounded amount of work."""
from __future__ import annotations

import pytest

from tests.factories import make_application, make_user

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def backend() -> str:
    """The edge (body cap, JSON parsing) is the same whatever the database: SQLite only, to save time."""
    return "sqlite"

JSON_ENDPOINTS = ["/api/login", "/api/jwt/refresh", "/api/logout", "/api/user", "/api/user/search", "/api/application"]


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
async def test_deeply_nested_json(client, admin, path):
    """CWE-674 (uncontrolled recursion): 100k nested arrays/objects are a 400, not a RecursionError 500."""
    for bomb in (b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000):
        r = await client.post(path, content=bomb, headers={**JSON, **admin})
        assert r.status_code in (400, 413), (path, r.status_code, r.text[:200])


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
async def test_huge_arrays_and_strings_under_the_cap(client, admin, path):
    """CWE-400 (resource consumption): a 200k-element array or 180 kB strings is refused, not processed."""
    arr = b'{"loginId": [' + b"0," * 200_000 + b'0], "user": [' + b"0," * 100 + b"0]}"
    r = await client.post(path, content=arr, headers={**JSON, **admin})
    assert r.status_code == (200 if path == "/api/logout" else 400), (path, r.status_code)  # logout: nothing to revoke
    big = {"loginId": "a" * 180_000, "password": "x", "refreshToken": "a" * 180_000,
           "user": {"email": "a" * 180_000}, "search": {"queryString": "a" * 180_000}}
    r = await client.post(path, json=big, headers=admin)
    # logout has nothing to revoke; a search for a long string simply finds nobody
    assert r.status_code in ((200,) if path in ("/api/logout", "/api/user/search") else (400, 404)), (path, r.status_code)
    if path == "/api/user/search":
        assert r.json()["total"] == 0


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_bodies_over_1_mb_are_413_before_being_read(client, chunked):
    """CWE-770 (allocation without limits): over 1 MiB -> 413, declared or streamed without a length."""
    body = b'{"loginId": "' + b"a" * 1_100_000 + b'"}'

    async def stream():
        for i in range(0, len(body), 65536):
            yield body[i:i + 65536]

    r = await client.post("/api/login", content=stream() if chunked else body, headers=JSON)
    assert r.status_code == 413 and r.json()["generalErrors"][0]["code"] == "[RequestTooLarge]"
    r = await client.post("/oauth2/token", content=b"grant_type=" + b"a" * 1_100_000,
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413 and r.json()["error"] == "invalid_request"


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
async def test_invalid_utf8(client, admin, path):
    """RFC 8259 section 8.1 / CWE-172: bytes that are not UTF-8 are a 400, never a decode 500."""
    for raw in (b'{"loginId": "\xff\xfe", "password": "\xc3\x28"}', b'{"a": "\xed\xa0\x80"}',
                b'{"loginId": "\\ud800", "password": "\\udfff"}'):
        r = await client.post(path, content=raw, headers={**JSON, **admin})
        allowed = (200, 400) if path == "/api/logout" else (400, 404)  # logout ignores fields it does not know
        assert r.status_code in allowed, (path, raw, r.status_code, r.text[:200])


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                                          "application/xml", "", "application/json; charset=utf-16"])
async def test_wrong_content_types(client, admin, content_type):
    """CWE-436 (interpretation conflict): a non-JSON content type never yields a 500 or a login."""
    for path in JSON_ENDPOINTS:
        r = await client.post(path, content=b"loginId=richard%40example.com&password=password",
                              headers={"Content-Type": content_type, **admin})
        assert r.status_code in (400, 415), (path, content_type, r.status_code, r.text[:200])


async def test_duplicate_json_keys_are_read_one_way_everywhere(client, registry):
    """CWE-436 / RFC 8259 section 4 (names SHOULD be unique): the last duplicate wins, the same way on
    the model-parsed /api/login and the hand-parsed /api/jwt/refresh, so no layer reads a different value."""
    app = await make_application(registry, jwtConfiguration={"refreshTokenUsagePolicy": "Reusable"})
    await make_user(registry, apps=[app])
    login = b'{"loginId": "richard@example.com", "password": "%s", "password": "%s", "applicationId": "%s"}'
    r = await client.post("/api/login", content=login % (b"wrong", b"password", app["id"].encode()), headers=JSON)
    assert r.status_code == 200
    token = r.json()["refreshToken"].encode()
    client.cookies.clear()
    r = await client.post("/api/login", content=login % (b"password", b"wrong", app["id"].encode()), headers=JSON)
    assert r.status_code == 404
    r = await client.post("/api/jwt/refresh", content=b'{"refreshToken": "garbage", "refreshToken": "%s"}' % token, headers=JSON)
    assert r.status_code == 200
    client.cookies.clear()
    r = await client.post("/api/jwt/refresh", content=b'{"refreshToken": "%s", "refreshToken": "garbage"}' % token, headers=JSON)
    assert r.status_code == 400
