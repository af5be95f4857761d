"""FusionAuth's audit log and login record APIs: create, search, retrieve, bounded filters, retention."""
from __future__ import annotations

import pytest

from authgate.clock import clock
from authgate.retention import purge
from tests.factories import make_application, make_user
from tests.fusionauth.conftest import assert_refused


async def test_create_search_and_retrieve_audit_entries(client, registry, admin):
    r = await client.post("/api/system/audit-log", headers={**admin, "User-Agent": "ops/2"}, json={"auditLog": {
        "insertUser": "ops@example.com", "message": "Rotated the <b>store</b> secret", "reason": "quarterly",
        "data": {"ticket": "OPS-1", "clientSecret": "must-not-be-kept"}}})
    assert r.status_code == 200, r.text
    entry = r.json()["auditLog"]
    assert entry["insertUser"] == "ops@example.com" and entry["reason"] == "quarterly"
    assert entry["data"]["ticket"] == "OPS-1" and entry["data"]["clientSecret"] == "[redacted]"
    assert entry["userAgent"] == "ops/2" and isinstance(entry["id"], int)
    got = await client.get(f"/api/system/audit-log/{entry['id']}", headers=admin)
    assert got.status_code == 200 and got.json()["auditLog"] == entry
    assert (await client.get("/api/system/audit-log/999999", headers=admin)).status_code == 404
    assert (await client.get("/api/system/audit-log/not-a-number", headers=admin)).status_code == 404

    await client.post("/api/user", json={"user": {"email": "ann@example.com", "password": "correct horse"}}, headers=admin)
    found = await client.post("/api/system/audit-log/search", json={"search": {"message": "the <b>STORE"}}, headers=admin)
    assert found.status_code == 200 and found.json()["total"] == 1
    assert [e["id"] for e in found.json()["auditLogs"]] == [entry["id"]]
    by_user = await client.get("/api/system/audit-log/search", params={"user": "ops@EXAMPLE"}, headers=admin)
    assert by_user.json()["total"] == 1
    every = (await client.get("/api/system/audit-log/search", headers=admin)).json()
    assert every["total"] == 2 and every["auditLogs"][0]["eventType"] == "user.create"  # newest first
    oldest = (await client.post("/api/system/audit-log/search", headers=admin,
                                json={"search": {"orderBy": "insertInstant ASC", "numberOfResults": 1}})).json()
    assert oldest["total"] == 2 and [e["id"] for e in oldest["auditLogs"]] == [entry["id"]]
    later = (await client.post("/api/system/audit-log/search", headers=admin,
                               json={"search": {"start": clock.now_ms() + 60_000}})).json()
    assert later == {"auditLogs": [], "total": 0}
    # LIKE wildcards are text, not patterns.
    assert (await client.get("/api/system/audit-log/search", params={"message": "%"}, headers=admin)).json()["total"] == 0


@pytest.mark.parametrize("search", [
    {"numberOfResults": 501}, {"numberOfResults": 0}, {"numberOfResults": "lots"}, {"numberOfResults": True},
    {"startRow": 10_001}, {"startRow": -1}, {"start": "yesterday"}, {"end": -5}, {"start": 2**80},
    {"message": "x" * 257}, {"message": ["a"]}, {"user": {"$ne": 1}}, {"orderBy": "message; DROP TABLE audit_log"},
    {"colour": "red"},
])
async def test_junk_audit_filters_are_a_400_before_any_query(client, registry, admin, monkeypatch, search):
    async def no_query(*_: object) -> None:
        raise AssertionError("the database was asked")

    monkeypatch.setattr(registry.db.audit_log, "search", no_query)
    r = await client.post("/api/system/audit-log/search", json={"search": search}, headers=admin)
    assert r.status_code == 400, r.text
    assert r.json()["fieldErrors"]
    if all(isinstance(v, (int, str)) for v in search.values()):  # the same as a query string (GET)
        r = await client.get("/api/system/audit-log/search", params={k: str(v) for k, v in search.items()}, headers=admin)
        assert r.status_code == 400, (search, r.text)


async def test_bad_audit_entries_are_refused_and_nothing_is_stored(client, registry, admin):
    for body in ({}, {"auditLog": []}, {"auditLog": {"message": "no user"}}, {"auditLog": {"insertUser": "x"}},
                 {"auditLog": {"insertUser": "x", "message": 5}}, {"auditLog": {"insertUser": "x", "message": "m", "data": "s"}}):
        assert (await client.post("/api/system/audit-log", json=body, headers=admin)).status_code == 400, body
    assert (await client.get("/api/system/audit-log/search", headers=admin)).json()["total"] == 0


async def test_system_apis_need_an_api_key(client, limited):
    await assert_refused(client, "POST", "/api/system/audit-log", limited, {"auditLog": {"insertUser": "a", "message": "b"}})
    await assert_refused(client, "GET", "/api/system/audit-log/search", limited)
    await assert_refused(client, "POST", "/api/system/login-record/search", limited, {"search": {}})


async def test_login_record_search(client, registry, admin):
    store, forums = await make_application(registry, "Store"), await make_application(registry, "Forums")
    user = await make_user(registry, apps=[store, forums])
    other = await make_user(registry, email="other@example.com", apps=[store])
    async def login(login_id, app):
        r = await client.post("/api/login", headers={"X-Forwarded-For": "203.0.113.9"},
                              json={"loginId": login_id, "password": "password", "applicationId": app["id"]})
        assert r.status_code == 200
        client.cookies.clear()
    await login("richard@example.com", store)
    clock.advance(10)
    await login("richard@example.com", forums)
    await login("other@example.com", store)
    r = await client.post("/api/system/login-record/search", headers=admin,
                          json={"search": {"userId": user["id"]}, "retrieveTotal": True})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 2
    assert [(x["applicationName"], x["loginId"]) for x in body["logins"]] == [("Forums", "richard@example.com"),
                                                                             ("Store", "richard@example.com")]
    assert body["logins"][0]["ipAddress"] == "127.0.0.1"  # the peer: no trusted proxy in front of this test
    by_app = (await client.post("/api/system/login-record/search", headers=admin,
                                json={"search": {"applicationId": store["id"], "numberOfResults": 1}})).json()
    assert "total" not in by_app and len(by_app["logins"]) == 1 and by_app["logins"][0]["userId"] == other["id"]
    window = (await client.post("/api/system/login-record/search", headers=admin, json={"search": {
        "userId": user["id"], "end": body["logins"][1]["instant"], "retrieveTotal": True}})).json()
    assert window["total"] == 1 and window["logins"][0]["applicationId"] == store["id"]
    for junk in ({"search": {"numberOfResults": 10_000}}, {"search": {"userId": 7}}, {"search": {}, "retrieveTotal": "yes"},
                 {"search": {"start": "x"}}, {"search": "everything"}):
        assert (await client.post("/api/system/login-record/search", json=junk, headers=admin)).status_code == 400, junk


@pytest.fixture
def settings_overrides():
    return {"argon2_memory_kib": 1024, "argon2_time_cost": 1, "audit_log_retention_days": 30,
            "login_record_retention_days": 7}


async def test_the_janitor_honours_the_retention_settings(client, registry, admin):
    app = await make_application(registry)
    await make_user(registry, apps=[app])
    await client.post("/api/system/audit-log", json={"auditLog": {"insertUser": "a", "message": "old"}}, headers=admin)
    assert (await client.post("/api/login", json={"loginId": "richard@example.com", "password": "password",
                                                  "applicationId": app["id"]})).status_code == 200
    clock.advance(8 * 86400)  # past the login records' 7 days, within the audit log's 30
    await client.post("/api/system/audit-log", json={"auditLog": {"insertUser": "a", "message": "new"}}, headers=admin)
    deleted = await purge(registry.db, registry.settings)
    assert deleted["login records"] == 1 and deleted["audit log"] == 0
    clock.advance(25 * 86400)
    deleted = await purge(registry.db, registry.settings)
    assert deleted["audit log"] == 1
    left = (await client.get("/api/system/audit-log/search", headers=admin)).json()
    assert [e["message"] for e in left["auditLogs"]] == ["new"]
