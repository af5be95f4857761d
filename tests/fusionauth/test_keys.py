"""Key API (signing keys) and API Key API."""
from __future__ import annotations

import uuid

import httpx
import pytest

from authgate.registry import Registry
from tests.factories import make_application, make_user
from tests.fusionauth.conftest import LIMITED_KEY, assert_refused, field_codes

UNKNOWN = str(uuid.uuid4())


@pytest.mark.parametrize("method,path", [
    ("GET", "/api/key"), ("GET", f"/api/key/{UNKNOWN}"), ("POST", "/api/key/generate"),
    ("POST", f"/api/key/generate/{UNKNOWN}"), ("POST", "/api/key/rotate"), ("DELETE", f"/api/key/{UNKNOWN}"),
    ("POST", "/api/api-key"), ("GET", "/api/api-key"), ("GET", f"/api/api-key/{UNKNOWN}"), ("DELETE", f"/api/api-key/{UNKNOWN}"),
])
async def test_every_key_endpoint_needs_a_permitted_key(client: httpx.AsyncClient, limited: dict[str, str],
                                                        registry: Registry, method: str, path: str) -> None:
    before = len(await registry.db.signing_keys.list()), len(await registry.db.api_keys.list())
    await assert_refused(client, method, path, limited, {"key": {"algorithm": "ES256", "name": "x"}, "apiKey": {}})
    assert (len(await registry.db.signing_keys.list()), len(await registry.db.api_keys.list())) == before


@pytest.mark.parametrize("algorithm,length", [("RS256", 2048), ("ES256", None), ("HS256", 512)])
async def test_generate_returns_no_secret_and_tokens_use_a_pinned_key(
        client: httpx.AsyncClient, admin: dict[str, str], registry: Registry, algorithm: str, length: int | None) -> None:
    kid = str(uuid.uuid4())
    r = await client.post(f"/api/key/generate/{kid}", json={"key": {"algorithm": algorithm, "name": "k", "length": length}},
                          headers=admin)
    assert r.status_code == 200, r.text
    key = r.json()["key"]
    assert (key["id"], key["kid"], key["algorithm"]) == (kid, kid, algorithm)
    assert "PRIVATE" not in r.text and (await registry.db.signing_keys.get(kid))["private_pem"] not in r.text
    assert ("publicKey" in key) == (algorithm != "HS256")
    app = await make_application(registry, jwtConfiguration={"accessTokenKeyId": kid})
    await make_user(registry, apps=[app])
    token = (await client.post("/api/login", json={"loginId": "richard@example.com", "password": "password",
                                                   "applicationId": app["id"]})).json()["token"]
    assert (await client.get("/api/jwt/validate", headers={"Authorization": f"Bearer {token}"})).status_code == 200
    r = await client.delete(f"/api/key/{kid}", headers=admin)
    assert r.status_code == 400 and r.json()["generalErrors"][0]["code"] == "[KeyInUse]"
    assert await registry.db.signing_keys.get(kid) is not None


@pytest.mark.parametrize("key,expected", [
    ({"name": "k"}, {"key.algorithm": ["[invalid]key.algorithm"]}),
    ({"algorithm": "none", "name": "k"}, {"key.algorithm": ["[invalid]key.algorithm"]}),
    ({"algorithm": "RS256"}, {"key.name": ["[blank]key.name"]}),
    ({"algorithm": "RS256", "name": "k", "length": 1024}, {"key.length": ["[invalid]key.length"]}),
    ({"algorithm": "RS256", "name": "k", "length": "2048"}, {"key.length": ["[invalid]key.length"]}),
])
async def test_generate_validation(client: httpx.AsyncClient, admin: dict[str, str], registry: Registry,
                                   key: dict, expected: dict) -> None:
    before = await registry.db.signing_keys.list()
    r = await client.post("/api/key/generate", json={"key": key}, headers=admin)
    assert r.status_code == 400 and field_codes(r) == expected
    assert await registry.db.signing_keys.list() == before


async def test_list_rotate_and_delete(client: httpx.AsyncClient, admin: dict[str, str], registry: Registry) -> None:
    first = (await client.get("/api/key", headers=admin)).json()["keys"]
    assert len(first) == 1 and "privateKey" not in first[0]
    r = await client.delete(f"/api/key/{first[0]['id']}", headers=admin)
    assert r.status_code == 400  # the only signing key
    await make_user(registry)
    old = (await client.post("/api/login", json={"loginId": "richard@example.com", "password": "password"})).json()["token"]
    new = (await client.post("/api/key/rotate?algorithm=RS256", headers=admin)).json()["key"]
    assert new["id"] != first[0]["id"]
    retired = (await client.get(f"/api/key/{first[0]['id']}", headers=admin)).json()["key"]
    assert retired["retireInstant"] > 0
    bearer = {"Authorization": f"Bearer {old}"}
    assert (await client.get("/api/jwt/validate", headers=bearer)).status_code == 200  # still published
    assert (await client.delete(f"/api/key/{first[0]['id']}", headers=admin)).status_code == 200
    assert (await client.get("/api/jwt/validate", headers=bearer)).status_code == 401
    assert (await client.get(f"/api/key/{first[0]['id']}", headers=admin)).status_code == 404
    assert (await client.delete(f"/api/key/{first[0]['id']}", headers=admin)).status_code == 404
    assert (await client.post("/api/key/rotate?algorithm=none", headers=admin)).status_code == 400


async def test_api_key_lifecycle(client: httpx.AsyncClient, admin: dict[str, str], registry: Registry) -> None:
    r = await client.post("/api/api-key", json={"apiKey": {"permissions": {"endpoints": {"/api/user": ["GET"]}},
                                                          "metaData": {"attributes": {"description": "reader"}}}},
                          headers=admin)
    assert r.status_code == 200, r.text
    created = r.json()["apiKey"]
    value = created["key"]
    assert len(value) >= 32
    stored = await registry.db.api_keys.get(created["id"])
    assert value not in str(stored)  # only the digest is kept
    got = (await client.get(f"/api/api-key/{created['id']}", headers=admin)).json()["apiKey"]
    assert "key" not in got and got["permissions"] == {"endpoints": {"/api/user": ["GET"]}}
    reader = {"Authorization": value}
    user = await make_user(registry)
    assert (await client.get(f"/api/user/{user['id']}", headers=reader)).status_code == 200
    assert (await client.delete(f"/api/user/{user['id']}", headers=reader)).status_code == 401
    # A limited key cannot manage keys, even with the permission named.
    r = await client.post("/api/api-key", json={"apiKey": {}}, headers=reader)
    assert r.status_code == 401
    assert (await client.delete(f"/api/api-key/{created['id']}", headers=admin)).status_code == 200
    assert (await client.get(f"/api/user/{user['id']}", headers=reader)).status_code == 401
    assert (await client.get(f"/api/api-key/{created['id']}", headers=admin)).status_code == 404
    assert (await client.delete(f"/api/api-key/{created['id']}", headers=admin)).status_code == 404


async def test_limited_key_with_api_key_permission_is_still_refused(client: httpx.AsyncClient, registry: Registry) -> None:
    await registry.db.api_keys.create(LIMITED_KEY, {"permissions": {"endpoints": {"/api/api-key": ["POST", "GET"]}}})
    before = len(await registry.db.api_keys.list())
    r = await client.post("/api/api-key", json={"apiKey": {}}, headers={"Authorization": LIMITED_KEY})
    assert r.status_code == 401 and r.json()["generalErrors"][0]["code"] == "[Unauthorized]"
    assert len(await registry.db.api_keys.list()) == before


async def test_api_key_with_chosen_value_and_id(client: httpx.AsyncClient, admin: dict[str, str], registry: Registry) -> None:
    kid, value = str(uuid.uuid4()), "chosen-key-value-" + "z" * 30
    r = await client.post(f"/api/api-key/{kid}", json={"apiKey": {"key": value}}, headers=admin)
    assert r.status_code == 200 and r.json()["apiKey"] == {**r.json()["apiKey"], "id": kid, "key": value}
    assert (await client.get("/api/key", headers={"Authorization": value})).status_code == 200  # superuser
    r = await client.post("/api/api-key", json={"apiKey": {"key": value}}, headers=admin)
    assert r.status_code == 400 and field_codes(r) == {"apiKey.key": ["[duplicate]apiKey.key"]}
    r = await client.post(f"/api/api-key/{kid}", json={"apiKey": {}}, headers=admin)
    assert r.status_code == 400 and field_codes(r) == {"apiKeyId": ["[duplicate]apiKeyId"]}


@pytest.mark.parametrize("api_key,expected", [
    ({"key": "short"}, {"apiKey.key": ["[tooShort]apiKey.key"]}),
    ({"key": 12345}, {"apiKey.key": ["[invalid]apiKey.key"]}),
    ({"permissions": {"endpoints": {"/api/everything": ["GET"]}}}, {"apiKey.permissions.endpoints": ["[invalid]apiKey.permissions.endpoints"]}),
    ({"permissions": {"endpoints": {"/api/user": ["FETCH"]}}}, {"apiKey.permissions.endpoints": ["[invalid]apiKey.permissions.endpoints"]}),
    ({"permissions": "all"}, {"apiKey.permissions": ["[invalid]apiKey.permissions"]}),
])
async def test_api_key_validation(client: httpx.AsyncClient, admin: dict[str, str], registry: Registry,
                                  api_key: dict, expected: dict) -> None:
    before = len(await registry.db.api_keys.list())
    r = await client.post("/api/api-key", json={"apiKey": api_key}, headers=admin)
    assert r.status_code == 400 and field_codes(r) == expected
    assert len(await registry.db.api_keys.list()) == before
