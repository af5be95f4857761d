"""User API: CRUD, validation, uniqueness, optimistic concurrency, search."""
from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from authgate.registry import Registry
from tests.fusionauth.conftest import assert_refused, field_codes

UNKNOWN = str(uuid.uuid4())


async def _count(reg: Registry) -> int:
    return (await reg.db.users.search(None, None, 0, 1))[0]


async def _create(client: httpx.AsyncClient, admin: dict[str, str], **user: object) -> dict:
    body = {"email": "ada@example.com", "password": "correct horse", **user}
    # Verified (skipVerification), so /api/login answers 200 rather than 212 (tests/lifecycle covers 212).
    r = await client.post("/api/user", json={"user": body, "skipVerification": True}, headers=admin)
    assert r.status_code == 200, r.text
    return r.json()["user"]


async def _login(client: httpx.AsyncClient, login_id: str, password: str) -> int:
    return (await client.post("/api/login", json={"loginId": login_id, "password": password})).status_code


@pytest.mark.parametrize("method,path", [
    ("POST", "/api/user"), ("POST", f"/api/user/{UNKNOWN}"), ("GET", f"/api/user/{UNKNOWN}"),
    ("GET", "/api/user?email=a@b.co"), ("PUT", f"/api/user/{UNKNOWN}"), ("PATCH", f"/api/user/{UNKNOWN}"),
    ("DELETE", f"/api/user/{UNKNOWN}"), ("GET", "/api/user/search"), ("POST", "/api/user/search"),
    ("POST", "/api/user/import"),
])
async def test_every_user_endpoint_needs_a_permitted_key(client: httpx.AsyncClient, limited: dict[str, str],
                                                         registry: Registry, method: str, path: str) -> None:
    await assert_refused(client, method, path, limited, {"user": {"email": "x@example.com", "password": "password1"}})
    assert await _count(registry) == 0


async def test_create_hashes_with_argon2id_and_never_returns_the_password(
        client: httpx.AsyncClient, admin: dict[str, str], registry: Registry) -> None:
    user = await _create(client, admin, firstName="Ada", data={"team": "blue"})
    assert user["email"] == "ada@example.com" and user["firstName"] == "Ada" and user["data"] == {"team": "blue"}
    assert "password" not in user
    row = await registry.db.users.get(user["id"])
    assert row["password_hash"].startswith("$argon2id$")
    assert "correct horse" not in str(row["doc"])
    for query in ("email=ADA@example.com", "loginId=ada@example.com"):
        r = await client.get(f"/api/user?{query}", headers=admin)
        assert r.status_code == 200 and r.json()["user"]["id"] == user["id"]
    r = await client.get(f"/api/user/{user['id']}", headers=admin)
    assert r.json()["user"]["registrations"] == [] and "password" not in r.json()["user"]
    assert await _login(client, "ada@example.com", "correct horse") == 200


async def test_create_with_id_and_username(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    uid = str(uuid.uuid4())
    r = await client.post(f"/api/user/{uid}", json={"user": {"username": "ada", "password": "correct horse"}}, headers=admin)
    assert r.status_code == 200 and r.json()["user"]["id"] == uid
    assert (await client.get("/api/user?username=ada", headers=admin)).json()["user"]["id"] == uid
    r = await client.post(f"/api/user/{uid}", json={"user": {"username": "bob", "password": "correct horse"}}, headers=admin)
    assert r.status_code == 400 and field_codes(r) == {"userId": ["[duplicate]userId"]}


@pytest.mark.parametrize("body,expected", [
    ({}, {"user": ["[blank]user"]}),
    ({"user": "ada"}, {"user": ["[invalid]user"]}),
    ({"user": {"password": "correct horse"}}, {"user.email": ["[blank]user.email"], "user.username": ["[blank]user.username"]}),
    ({"user": {"email": "not-an-email", "password": "correct horse"}}, {"user.email": ["[invalid]user.email"]}),
    ({"user": {"email": "a@example.com", "password": "short"}}, {"user.password": ["[tooShort]user.password"]}),
    ({"user": {"email": "a@example.com"}}, {"user.password": ["[blank]user.password"]}),
    ({"user": {"email": "a@example.com", "password": "correct horse", "firstName": 5, "active": "yes"}},
     {"user.firstName": ["[invalid]user.firstName"], "user.active": ["[invalid]user.active"]}),
    ({"user": {"email": 7, "password": ["x"]}}, {"user.email": ["[invalid]user.email", "[blank]user.email"],
                                                "user.password": ["[invalid]user.password"],
                                                "user.username": ["[blank]user.username"]}),
])
async def test_create_validation(client: httpx.AsyncClient, admin: dict[str, str], registry: Registry,
                                 body: dict, expected: dict) -> None:
    r = await client.post("/api/user", json=body, headers=admin)
    assert r.status_code == 400 and field_codes(r) == expected
    assert await _count(registry) == 0


async def test_malformed_json_is_400(client: httpx.AsyncClient, admin: dict[str, str], registry: Registry) -> None:
    for raw in (b"{not json", b"[1, 2]"):
        r = await client.post("/api/user", content=raw, headers={**admin, "Content-Type": "application/json"})
        assert r.status_code == 400 and r.json()["generalErrors"][0]["code"] in ("[invalid]json", "[invalid]request")
    assert await _count(registry) == 0


async def test_duplicates_are_refused_case_insensitively(client: httpx.AsyncClient, admin: dict[str, str],
                                                         registry: Registry) -> None:
    await _create(client, admin, username="ada")
    r = await client.post("/api/user", json={"user": {"email": "ADA@example.com", "password": "password1"}}, headers=admin)
    assert r.status_code == 400 and field_codes(r) == {"user.email": ["[duplicate]user.email"]}
    r = await client.post("/api/user", json={"user": {"username": "Ada", "password": "password1"}}, headers=admin)
    assert r.status_code == 400 and field_codes(r) == {"user.username": ["[duplicate]user.username"]}
    assert await _count(registry) == 1


async def test_put_replaces_and_keeps_the_password(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    user = await _create(client, admin, firstName="Ada", lastName="Lovelace")
    r = await client.put(f"/api/user/{user['id']}", json={"user": {"email": "ada@example.com", "firstName": "Augusta"}},
                         headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["user"]["firstName"] == "Augusta" and "lastName" not in r.json()["user"]
    assert await _login(client, "ada@example.com", "correct horse") == 200
    r = await client.put(f"/api/user/{user['id']}", json={"user": {"email": "ada@example.com", "password": "new password"}},
                         headers=admin)
    assert r.status_code == 200
    assert await _login(client, "ada@example.com", "correct horse") == 404
    assert await _login(client, "ada@example.com", "new password") == 200


async def test_update_refuses_a_taken_email_and_changes_nothing(client: httpx.AsyncClient, admin: dict[str, str],
                                                                registry: Registry) -> None:
    ada = await _create(client, admin)
    await _create(client, admin, email="bob@example.com")
    for method in ("PUT", "PATCH"):
        r = await client.request(method, f"/api/user/{ada['id']}", json={"user": {"email": "bob@example.com"}}, headers=admin)
        assert r.status_code == 400 and field_codes(r) == {"user.email": ["[duplicate]user.email"]}
    r = await client.patch(f"/api/user/{ada['id']}", json={"user": {"password": "short"}}, headers=admin)
    assert field_codes(r) == {"user.password": ["[tooShort]user.password"]}
    row = await registry.db.users.get(ada["id"])
    assert row["email"] == "ada@example.com" and row["version"] == 1


async def test_patch_merges_and_null_removes(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    user = await _create(client, admin, firstName="Ada", data={"a": 1, "b": 2})
    r = await client.patch(f"/api/user/{user['id']}", json={"user": {"lastName": "Lovelace", "data": {"b": None, "c": 3}}},
                           headers=admin)
    assert r.status_code == 200
    got = r.json()["user"]
    assert (got["firstName"], got["lastName"], got["data"]) == ("Ada", "Lovelace", {"a": 1, "c": 3})


async def test_concurrent_patches_do_not_lose_updates(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    user = await _create(client, admin)
    fields = [f"field{i}" for i in range(6)]
    results = await asyncio.gather(*[
        client.patch(f"/api/user/{user['id']}", json={"user": {"data": {f: True}}}, headers=admin) for f in fields])
    ok = [r for r in results if r.status_code == 200]
    assert all(r.status_code in (200, 409) for r in results) and ok
    data = (await client.get(f"/api/user/{user['id']}", headers=admin)).json()["user"]["data"]
    # Every PATCH that answered 200 is in the stored user.
    assert {f for r in ok for f in r.json()["user"]["data"]} <= set(data)
    assert len(data) == len(ok)


async def test_soft_delete_deactivates_and_hard_delete_removes(client: httpx.AsyncClient, admin: dict[str, str],
                                                              registry: Registry) -> None:
    user = await _create(client, admin)
    assert (await client.delete(f"/api/user/{user['id']}", headers=admin)).status_code == 200
    assert (await client.get(f"/api/user/{user['id']}", headers=admin)).json()["user"]["active"] is False
    assert await _login(client, "ada@example.com", "correct horse") == 423
    # Editing a deactivated user does not quietly re-enable it; ?reactivate=true does.
    r = await client.put(f"/api/user/{user['id']}", json={"user": {"email": "ada@example.com"}}, headers=admin)
    assert r.json()["user"]["active"] is False
    assert await _login(client, "ada@example.com", "correct horse") == 423
    r = await client.put(f"/api/user/{user['id']}?reactivate=true", headers=admin)
    assert r.status_code == 200 and r.json()["user"]["active"] is True
    assert await _login(client, "ada@example.com", "correct horse") == 200
    assert (await client.delete(f"/api/user/{user['id']}?hardDelete=true", headers=admin)).status_code == 200
    assert await registry.db.users.get(user["id"]) is None
    assert await _login(client, "ada@example.com", "correct horse") == 404


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
async def test_unknown_user_is_404(client: httpx.AsyncClient, admin: dict[str, str], method: str) -> None:
    body = {"user": {"email": "x@example.com"}} if method in ("PUT", "PATCH") else None
    for path in (f"/api/user/{UNKNOWN}", f"/api/user/{UNKNOWN}?hardDelete=true"):
        r = await client.request(method, path, json=body, headers=admin)
        assert r.status_code == 404
    assert (await client.get("/api/user?email=nobody@example.com", headers=admin)).status_code == 404
    assert (await client.get("/api/user", headers=admin)).status_code == 400


async def test_search(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    ids = [(await _create(client, admin, email=f"user{i}@example.com"))["id"] for i in range(5)]
    await _create(client, admin, email="other@elsewhere.org")
    r = await client.get("/api/user/search?queryString=example.com&numberOfResults=2&startRow=1", headers=admin)
    assert r.status_code == 200 and r.json()["total"] == 5
    assert [u["id"] for u in r.json()["users"]] == ids[1:3]
    r = await client.post("/api/user/search", json={"search": {"ids": ids[:2]}}, headers=admin)
    assert sorted(u["id"] for u in r.json()["users"]) == sorted(ids[:2])
    assert all("password" not in u for u in r.json()["users"])
    r = await client.get("/api/user/search?numberOfResults=-1", headers=admin)
    assert r.status_code == 400 and field_codes(r) == {"search.numberOfResults": ["[invalid]search.numberOfResults"]}
    for ids in ("abc", [str(uuid.uuid4()) for _ in range(501)]):
        r = await client.post("/api/user/search", json={"search": {"ids": ids}}, headers=admin)
        assert r.status_code == 400 and field_codes(r) == {"search.ids": ["[invalid]search.ids"]}


async def test_a_login_racing_an_admin_edit_does_not_undo_it(client: httpx.AsyncClient, admin: dict[str, str],
                                                             registry: Registry) -> None:
    from authgate.accounts import record_login

    user = await _create(client, admin)
    stale = await registry.db.users.get(user["id"])  # what a login read just before the edit
    r = await client.patch(f"/api/user/{user['id']}", json={"user": {"firstName": "Augusta"}}, headers=admin)
    assert r.status_code == 200
    await record_login(registry, stale)  # the login finishes after the edit
    assert (await registry.db.users.get(user["id"]))["doc"]["firstName"] == "Augusta"
