"""Application API: validation, authgate's secure defaults, the implicit warning, caches, roles."""
from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from authgate.console import CONSOLE_APP_ID
from authgate.registry import Registry
from tests.factories import make_user
from tests.fusionauth.conftest import assert_refused, field_codes

UNKNOWN = str(uuid.uuid4())
P = "application.oauthConfiguration"


async def _stored(reg: Registry) -> list[dict[str, Any]]:
    """Applications stored besides the admin console's own, which every start creates."""
    return [a for a in await reg.db.applications.list() if a["id"] != CONSOLE_APP_ID]


async def _create(client: httpx.AsyncClient, admin: dict[str, str], **app: Any) -> dict[str, Any]:
    r = await client.post("/api/application", json={"application": {"name": "Store", **app}}, headers=admin)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize("method,path", [
    ("POST", "/api/application"), ("POST", f"/api/application/{UNKNOWN}"), ("GET", "/api/application"),
    ("GET", f"/api/application/{UNKNOWN}"), ("PUT", f"/api/application/{UNKNOWN}"),
    ("PATCH", f"/api/application/{UNKNOWN}"), ("DELETE", f"/api/application/{UNKNOWN}"),
    ("POST", f"/api/application/{UNKNOWN}/role"),
])
async def test_every_application_endpoint_needs_a_permitted_key(client: httpx.AsyncClient, limited: dict[str, str],
                                                                registry: Registry, method: str, path: str) -> None:
    await assert_refused(client, method, path, limited, {"application": {"name": "Evil"}})
    assert await _stored(registry) == []


async def test_create_applies_secure_defaults(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    body = await _create(client, admin, oauthConfiguration={"authorizedRedirectURLs": ["https://store.example/cb"]})
    app = body["application"]
    oauth, jwt = app["oauthConfiguration"], app["jwtConfiguration"]
    assert oauth["clientId"] == app["id"] and len(oauth["clientSecret"]) >= 40
    assert oauth["proofKeyForCodeExchangePolicy"] == "Required"
    assert "implicit" not in oauth["enabledGrants"] and "warnings" not in body
    assert jwt["refreshTokenUsagePolicy"] == "OneTimeUse"
    r = await client.get(f"/api/application/{app['id']}", headers=admin)
    assert r.json()["application"]["oauthConfiguration"]["clientSecret"] == oauth["clientSecret"]
    assert [a["id"] for a in (await client.get("/api/application", headers=admin)).json()["applications"]
            if a["id"] != CONSOLE_APP_ID] == [app["id"]]


async def test_implicit_grant_is_labelled_insecure(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    body = await _create(client, admin, oauthConfiguration={"enabledGrants": ["implicit"]})
    assert [w["code"] for w in body["warnings"]] == ["[insecure]implicit"]
    r = await client.get(f"/api/application/{body['application']['id']}", headers=admin)
    assert r.json()["warnings"][0]["code"] == "[insecure]implicit"


@pytest.mark.parametrize("app,expected", [
    ({}, {"application.name": ["[blank]application.name"]}),
    ({"name": "  "}, {"application.name": ["[blank]application.name"]}),
    ({"name": 3}, {"application.name": ["[invalid]application.name", "[blank]application.name"]}),
    ({"name": "A", "oauthConfiguration": {"authorizedRedirectURLs": ["/relative"]}},
     {f"{P}.authorizedRedirectURLs": [f"[invalid]{P}.authorizedRedirectURLs"]}),
    ({"name": "A", "oauthConfiguration": {"authorizedRedirectURLs": ["https://a.example/cb#frag"]}},
     {f"{P}.authorizedRedirectURLs": [f"[invalid]{P}.authorizedRedirectURLs"]}),
    ({"name": "A", "oauthConfiguration": {"authorizedRedirectURLs": ["javascript:alert(1)"]}},
     {f"{P}.authorizedRedirectURLs": [f"[invalid]{P}.authorizedRedirectURLs"]}),
    ({"name": "A", "oauthConfiguration": {"authorizedOriginURLs": ["https://a.example/path"]}},
     {f"{P}.authorizedOriginURLs": [f"[invalid]{P}.authorizedOriginURLs"]}),
    ({"name": "A", "oauthConfiguration": {"enabledGrants": ["authorization_code", "device_code"]}},
     {f"{P}.enabledGrants": [f"[invalid]{P}.enabledGrants"]}),
    ({"name": "A", "oauthConfiguration": "x"}, {"application.oauthConfiguration": ["[invalid]application.oauthConfiguration"]}),
    ({"name": "A", "jwtConfiguration": {"refreshTokenUsagePolicy": "Sometimes"}},
     {"application.jwtConfiguration.refreshTokenUsagePolicy": ["[invalid]application.jwtConfiguration.refreshTokenUsagePolicy"]}),
    ({"name": "A", "jwtConfiguration": {"refreshTokenExpirationPolicy": "Forever"}},
     {"application.jwtConfiguration.refreshTokenExpirationPolicy": ["[invalid]application.jwtConfiguration.refreshTokenExpirationPolicy"]}),
    ({"name": "A", "jwtConfiguration": {"accessTokenKeyId": UNKNOWN}},
     {"application.jwtConfiguration.accessTokenKeyId": ["[invalid]application.jwtConfiguration.accessTokenKeyId"]}),
    ({"name": "A", "jwtConfiguration": {"timeToLiveInSeconds": "60"}},
     {"application.jwtConfiguration.timeToLiveInSeconds": ["[invalid]application.jwtConfiguration.timeToLiveInSeconds"]}),
    ({"name": "A", "roles": [{"name": "admin"}, {"name": "admin"}]}, {"application.roles": ["[duplicate]application.roles"]}),
])
async def test_create_validation(client: httpx.AsyncClient, admin: dict[str, str], registry: Registry,
                                 app: dict[str, Any], expected: dict[str, list[str]]) -> None:
    r = await client.post("/api/application", json={"application": app}, headers=admin)
    assert r.status_code == 400 and field_codes(r) == expected
    assert await _stored(registry) == []


async def test_malformed_bodies(client: httpx.AsyncClient, admin: dict[str, str], registry: Registry) -> None:
    r = await client.post("/api/application", content=b"{", headers={**admin, "Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["generalErrors"][0]["code"] == "[invalid]json"
    r = await client.post("/api/application", json={"application": []}, headers=admin)
    assert field_codes(r) == {"application": ["[invalid]application"]}
    assert await _stored(registry) == []


async def test_pinned_key_and_explicit_id(client: httpx.AsyncClient, admin: dict[str, str], registry: Registry) -> None:
    kid = (await registry.db.signing_keys.list())[0]["id"]
    app_id = str(uuid.uuid4())
    r = await client.post(f"/api/application/{app_id}", json={"application": {
        "name": "A", "jwtConfiguration": {"accessTokenKeyId": kid}}}, headers=admin)
    assert r.status_code == 200 and r.json()["application"]["id"] == app_id
    r = await client.post(f"/api/application/{app_id}", json={"application": {"name": "B"}}, headers=admin)
    assert r.status_code == 400 and field_codes(r) == {"applicationId": ["[duplicate]applicationId"]}
    assert [a["name"] for a in await _stored(registry)] == ["A"]


async def test_put_replaces_keeping_the_secret_and_patch_merges(client: httpx.AsyncClient, admin: dict[str, str],
                                                               registry: Registry) -> None:
    app = (await _create(client, admin, loginConfiguration={"generateRefreshTokens": True}))["application"]
    secret = app["oauthConfiguration"]["clientSecret"]
    r = await client.put(f"/api/application/{app['id']}", json={"application": {"name": "Shop"}}, headers=admin)
    assert r.status_code == 200
    got = r.json()["application"]
    assert got["name"] == "Shop" and got["loginConfiguration"] == {}
    assert got["oauthConfiguration"]["clientSecret"] == secret
    r = await client.patch(f"/api/application/{app['id']}", json={"application": {
        "oauthConfiguration": {"authorizedRedirectURLs": ["http://localhost:8080/cb"]}}}, headers=admin)
    assert r.json()["application"]["name"] == "Shop"
    assert r.json()["application"]["oauthConfiguration"]["authorizedRedirectURLs"] == ["http://localhost:8080/cb"]
    r = await client.patch(f"/api/application/{app['id']}", json={"application": {"oauthConfiguration": {
        "enabledGrants": ["magic"]}}}, headers=admin)
    assert r.status_code == 400
    row = await registry.db.applications.get(app["id"])
    assert row["version"] == 3 and row["doc"]["oauthConfiguration"]["enabledGrants"] == ["authorization_code", "refresh_token"]


async def test_writes_take_effect_at_once_for_login_and_cors(client: httpx.AsyncClient, admin: dict[str, str],
                                                            registry: Registry) -> None:
    app = (await _create(client, admin, loginConfiguration={"generateRefreshTokens": True}))["application"]
    await make_user(registry, apps=[app])
    login = {"loginId": "richard@example.com", "password": "password", "applicationId": app["id"]}
    assert "refreshToken" in (await client.post("/api/login", json=login, headers=admin)).json()
    await client.patch(f"/api/application/{app['id']}", json={"application": {
        "loginConfiguration": {"generateRefreshTokens": False},
        "oauthConfiguration": {"authorizedOriginURLs": ["https://shop.example"]}}}, headers=admin)
    assert "refreshToken" not in (await client.post("/api/login", json=login, headers=admin)).json()
    r = await client.get("/health/alive", headers={"Origin": "https://shop.example"})
    assert r.headers.get("access-control-allow-origin") == "https://shop.example"


async def test_soft_delete_deactivates_and_hard_delete_removes(client: httpx.AsyncClient, admin: dict[str, str],
                                                              registry: Registry) -> None:
    app = (await _create(client, admin))["application"]
    await make_user(registry, apps=[app])
    login = {"loginId": "richard@example.com", "password": "password", "applicationId": app["id"]}
    assert (await client.delete(f"/api/application/{app['id']}", headers=admin)).status_code == 200
    assert (await client.post("/api/login", json=login, headers=admin)).status_code == 400
    assert [a for a in (await client.get("/api/application", headers=admin)).json()["applications"]
            if a["id"] != CONSOLE_APP_ID] == []
    assert len((await client.get("/api/application?inactive=true", headers=admin)).json()["applications"]) == 1
    r = await client.put(f"/api/application/{app['id']}", json={"application": {"name": "Renamed"}}, headers=admin)
    assert r.json()["application"]["active"] is False  # an edit does not undo the soft delete
    r = await client.put(f"/api/application/{app['id']}?reactivate=true", headers=admin)
    assert r.json()["application"]["active"] is True
    assert (await client.post("/api/login", json=login, headers=admin)).status_code == 200
    assert (await client.delete(f"/api/application/{app['id']}?hardDelete=true", headers=admin)).status_code == 200
    assert await registry.db.applications.get(app["id"]) is None


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
async def test_unknown_application_is_404(client: httpx.AsyncClient, admin: dict[str, str], method: str) -> None:
    body = {"application": {"name": "X"}} if method in ("PUT", "PATCH") else None
    for path in (f"/api/application/{UNKNOWN}", f"/api/application/{UNKNOWN}?hardDelete=true"):
        assert (await client.request(method, path, json=body, headers=admin)).status_code == 404
    r = await client.post(f"/api/application/{UNKNOWN}/role", json={"role": {"name": "x"}}, headers=admin)
    assert r.status_code == 404


async def test_roles(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    app = (await _create(client, admin, roles=[{"name": "user", "isDefault": True}]))["application"]
    assert [(r["name"], r["isDefault"], r["isSuperRole"]) for r in app["roles"]] == [("user", True, False)]
    r = await client.post(f"/api/application/{app['id']}/role", json={"role": {"name": "admin", "isSuperRole": True}},
                          headers=admin)
    assert r.status_code == 200 and r.json()["role"]["name"] == "admin" and r.json()["role"]["id"]
    r = await client.post(f"/api/application/{app['id']}/role", json={"role": {"name": "admin"}}, headers=admin)
    assert r.status_code == 400 and field_codes(r) == {"role.name": ["[duplicate]role.name"]}
    roles = (await client.get(f"/api/application/{app['id']}", headers=admin)).json()["application"]["roles"]
    assert [r["name"] for r in roles] == ["user", "admin"]
