"""Registration API: register, combined create, roles, update, unregister."""
from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from authgate.registry import Registry
from tests.factories import make_application, make_user
from tests.fusionauth.conftest import assert_refused, field_codes

UNKNOWN = str(uuid.uuid4())
ROLES = [{"name": "member", "isDefault": True}, {"name": "admin"}]


async def _app(reg: Registry) -> dict[str, Any]:
    return await make_application(reg, roles=ROLES)


@pytest.mark.parametrize("method,path", [
    ("POST", "/api/user/registration"), ("POST", f"/api/user/registration/{UNKNOWN}"),
    ("GET", f"/api/user/registration/{UNKNOWN}/{UNKNOWN}"), ("PUT", f"/api/user/registration/{UNKNOWN}/{UNKNOWN}"),
    ("PATCH", f"/api/user/registration/{UNKNOWN}/{UNKNOWN}"), ("DELETE", f"/api/user/registration/{UNKNOWN}/{UNKNOWN}"),
])
async def test_every_registration_endpoint_needs_a_permitted_key(client: httpx.AsyncClient, limited: dict[str, str],
                                                                 method: str, path: str) -> None:
    await assert_refused(client, method, path, limited, {"registration": {"applicationId": UNKNOWN}})


async def test_register_existing_user_then_login_gets_roles(client: httpx.AsyncClient, admin: dict[str, str],
                                                            registry: Registry) -> None:
    app, user = await _app(registry), await make_user(registry)
    r = await client.post(f"/api/user/registration/{user['id']}", json={"registration": {
        "applicationId": app["id"], "roles": ["admin"], "username": "rich", "data": {"plan": "gold"}}}, headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["registration"]["roles"] == ["admin"] and body["registration"]["applicationId"] == app["id"]
    assert body["user"]["id"] == user["id"] and len(body["user"]["registrations"]) == 1
    r = await client.post("/api/login", json={"loginId": "richard@example.com", "password": "password",
                                             "applicationId": app["id"]})
    assert r.status_code == 200 and "token" in r.json()
    claims = (await client.get("/api/jwt/validate", headers={"Authorization": f"Bearer {r.json()['token']}"})).json()["jwt"]
    assert claims["roles"] == ["admin"]


async def test_combined_create_gives_default_roles(client: httpx.AsyncClient, admin: dict[str, str],
                                                   registry: Registry) -> None:
    app = await _app(registry)
    r = await client.post("/api/user/registration", json={
        "registration": {"applicationId": app["id"]}, "user": {"email": "new@example.com", "password": "password1"}},
        headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["registration"]["roles"] == ["member"] and "password" not in r.json()["user"]
    got = await client.get(f"/api/user/registration/{r.json()['user']['id']}/{app['id']}", headers=admin)
    assert got.status_code == 200 and got.json()["registration"]["id"] == r.json()["registration"]["id"]


@pytest.mark.parametrize("registration,user,expected", [
    ({}, {"email": "n@example.com", "password": "password1"}, {"registration.applicationId": ["[blank]registration.applicationId"]}),
    ({"applicationId": UNKNOWN}, {"email": "n@example.com", "password": "password1"},
     {"registration.applicationId": ["[invalid]registration.applicationId"]}),
    ({"applicationId": "APP", "roles": ["owner"]}, {"email": "n@example.com", "password": "password1"},
     {"registration.roles": ["[invalid]registration.roles"]}),
    ({"applicationId": "APP", "roles": "admin"}, {"email": "n@example.com", "password": "password1"},
     {"registration.roles": ["[invalid]registration.roles"]}),
    ({"applicationId": "APP"}, {"email": "n@example.com", "password": "short"}, {"user.password": ["[tooShort]user.password"]}),
    ({"applicationId": "APP"}, {"email": "richard@example.com", "password": "password1"},
     {"user.email": ["[duplicate]user.email"]}),
])
async def test_combined_create_validation_stores_nothing(client: httpx.AsyncClient, admin: dict[str, str],
                                                         registry: Registry, registration: dict, user: dict,
                                                         expected: dict) -> None:
    app = await _app(registry)
    await make_user(registry)
    if registration.get("applicationId") == "APP":
        registration = {**registration, "applicationId": app["id"]}
    r = await client.post("/api/user/registration", json={"registration": registration, "user": user}, headers=admin)
    assert r.status_code == 400 and field_codes(r) == expected
    assert (await registry.db.users.search(None, None, 0, 10))[0] == 1
    assert await registry.db.users.find_by(email="n@example.com") is None


async def test_register_errors(client: httpx.AsyncClient, admin: dict[str, str], registry: Registry) -> None:
    app, user = await _app(registry), await make_user(registry)
    body = {"registration": {"applicationId": app["id"]}}
    assert (await client.post(f"/api/user/registration/{UNKNOWN}", json=body, headers=admin)).status_code == 404
    r = await client.post("/api/user/registration", json=body, headers=admin)
    assert r.status_code == 400 and field_codes(r) == {"userId": ["[blank]userId"]}
    r = await client.post(f"/api/user/registration/{user['id']}", json={}, headers=admin)
    assert field_codes(r) == {"registration": ["[blank]registration"]}
    r = await client.post(f"/api/user/registration/{user['id']}", content=b"nope", headers={**admin, "Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["generalErrors"][0]["code"] == "[invalid]json"
    assert (await client.post(f"/api/user/registration/{user['id']}", json=body, headers=admin)).status_code == 200
    r = await client.post(f"/api/user/registration/{user['id']}", json=body, headers=admin)
    assert r.status_code == 400 and field_codes(r) == {"registration.applicationId": ["[duplicate]registration.applicationId"]}
    assert len(await registry.db.registrations.for_user(user["id"])) == 1


async def test_update_and_delete(client: httpx.AsyncClient, admin: dict[str, str], registry: Registry) -> None:
    app = await _app(registry)
    user = await make_user(registry, apps=[app], roles=["member"])
    path = f"/api/user/registration/{user['id']}/{app['id']}"
    r = await client.patch(path, json={"registration": {"roles": ["admin", "member"], "data": {"a": 1}}}, headers=admin)
    assert r.status_code == 200 and r.json()["registration"]["roles"] == ["admin", "member"]
    r = await client.put(path, json={"registration": {"roles": ["admin"]}}, headers=admin)
    assert r.json()["registration"]["roles"] == ["admin"] and "data" not in r.json()["registration"]
    r = await client.put(path, json={"registration": {"roles": ["root"]}}, headers=admin)
    assert r.status_code == 400 and field_codes(r) == {"registration.roles": ["[invalid]registration.roles"]}
    assert (await registry.db.registrations.get(user["id"], app["id"]))["doc"]["roles"] == ["admin"]
    login = {"loginId": "richard@example.com", "password": "password", "applicationId": app["id"]}
    refresh_token = (await client.post("/api/login", json=login)).json()["refreshToken"]
    assert (await client.delete(path, headers=admin)).status_code == 200
    assert (await client.get(path, headers=admin)).status_code == 404
    assert (await client.post("/api/login", json=login)).status_code == 202
    assert (await client.post("/api/jwt/refresh", json={"refreshToken": refresh_token})).status_code == 400


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
async def test_unknown_registration_is_404(client: httpx.AsyncClient, admin: dict[str, str], registry: Registry,
                                           method: str) -> None:
    app, user = await _app(registry), await make_user(registry)
    body = {"registration": {"roles": []}} if method in ("PUT", "PATCH") else None
    for path in (f"/api/user/registration/{user['id']}/{app['id']}", f"/api/user/registration/{UNKNOWN}/{UNKNOWN}"):
        assert (await client.request(method, path, json=body, headers=admin)).status_code == 404
