"""Events: one record per change or login, with actor, IP and user agent, and never a secret."""
from __future__ import annotations

import json
from typing import Any

import pytest

from authgate import events
from authgate.events import redact
from authgate.storage.repos.events import AuditQuery, LoginQuery
from tests.conftest import API_KEY
from tests.factories import make_application, make_user


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"argon2_memory_kib": 1024, "argon2_time_cost": 1}


def test_redaction_removes_every_credential_at_any_depth():
    payload = {
        "user": {"email": "a@example.com", "password": "hunter22", "passwordHash": "$argon2id$...",
                 "data": {"nested": [{"clientSecret": "s3cr3t", "note": "keep me"}]}},
        "refreshToken": "abc", "refreshTokenId": "9f1c", "code": "123456", "recoveryCodes": ["a", "b"],
        "changePasswordId": "one-time-id", "apiKey": {"key": "raw-key-value", "id": "k1"},
        "oauthConfiguration": {"clientSecret": "x", "generateRefreshTokens": True, "authorizedRedirectURLs": ["https://a/cb"]},
        "jwtConfiguration": {"refreshTokenTimeToLiveInMinutes": 60},
        "header": "Bearer eyJhbGciOi.eyJzdWIi.sig", "stray": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
    }
    out = redact(payload)
    text = json.dumps(out)
    for secret in ("hunter22", "$argon2id$", "s3cr3t", '"abc"', "123456", "one-time-id", "raw-key-value",
                   "eyJhbGciOi", '"x"'):
        assert secret not in text, secret
    # What is not a credential stays readable.
    assert out["user"]["email"] == "a@example.com" and out["user"]["data"]["nested"][0]["note"] == "keep me"
    assert out["refreshTokenId"] == "9f1c" and out["apiKey"]["id"] == "k1"
    assert out["oauthConfiguration"]["generateRefreshTokens"] is True
    assert out["oauthConfiguration"]["authorizedRedirectURLs"] == ["https://a/cb"]
    assert out["jwtConfiguration"]["refreshTokenTimeToLiveInMinutes"] == 60
    assert payload["user"]["password"] == "hunter22"  # the caller's object is not modified


def test_unknown_event_types_are_a_programming_error():
    with pytest.raises(ValueError):
        import asyncio

        asyncio.run(events.emit(None, "user.teleport"))  # type: ignore[arg-type]


async def _audit(registry, **filters) -> list[dict[str, Any]]:
    return (await registry.db.audit_log.search(AuditQuery(limit=100, **filters)))[1]


async def test_user_crud_leaves_events_naming_the_api_key_ip_and_user_agent(client, registry, admin):
    headers = {**admin, "User-Agent": "ops-test/1.0"}
    r = await client.post("/api/user", json={"user": {"email": "ann@example.com", "password": "correct horse"}}, headers=headers)
    assert r.status_code == 200
    uid = r.json()["user"]["id"]
    assert (await client.patch(f"/api/user/{uid}", json={"user": {"firstName": "Ann", "password": "battery staple"}},
                               headers=headers)).status_code == 200
    assert (await client.delete(f"/api/user/{uid}", headers=headers)).status_code == 200
    assert (await client.put(f"/api/user/{uid}?reactivate=true", headers=headers)).status_code == 200
    assert (await client.delete(f"/api/user/{uid}?hardDelete=true", headers=headers)).status_code == 200
    rows = await _audit(registry, user=uid)
    types = [r["event_type"] for r in reversed(rows)]
    assert types == ["user.create", "user.update", "user.password.update", "user.deactivate",
                     "user.reactivate", "user.update", "user.delete"]
    bootstrap = await registry.db.api_keys.find_by_key(API_KEY)
    for row in rows:
        assert row["actor_kind"] == "api_key" and row["actor_id"] == bootstrap["id"]
        assert row["user_agent"] == "ops-test/1.0" and row["ip_address"] == "127.0.0.1"
        stored = json.dumps(row["data"])
        assert "correct horse" not in stored and "battery staple" not in stored
    created = rows[-1]
    assert created["data"]["user"]["email"] == "ann@example.com"


async def test_applications_registrations_keys_and_api_keys_are_audited(client, registry, admin):
    r = await client.post("/api/application", json={"application": {"name": "Audited"}}, headers=admin)
    app_id = r.json()["application"]["id"]
    user = await make_user(registry)
    assert (await client.post(f"/api/user/registration/{user['id']}", json={"registration": {"applicationId": app_id}},
                              headers=admin)).status_code == 200
    assert (await client.delete(f"/api/user/registration/{user['id']}/{app_id}", headers=admin)).status_code == 200
    assert (await client.patch(f"/api/application/{app_id}", json={"application": {"name": "Renamed"}}, headers=admin)).status_code == 200
    assert (await client.post("/api/key/rotate", headers=admin)).status_code == 200
    key = (await client.post("/api/api-key", json={"apiKey": {}}, headers=admin)).json()["apiKey"]
    assert (await client.delete(f"/api/api-key/{key['id']}", headers=admin)).status_code == 200
    assert (await client.delete(f"/api/application/{app_id}?hardDelete=true", headers=admin)).status_code == 200
    rows = list(reversed(await _audit(registry)))
    types = [r["event_type"] for r in rows]
    assert types == ["application.create", "user.registration.create", "user.registration.delete", "application.update",
                     "key.rotate", "api-key.create", "api-key.delete", "application.delete"]
    text = json.dumps([r["data"] for r in rows])
    assert key["key"] not in text  # the API key's value is never recorded
    created = rows[0]["data"]["application"]
    assert created["oauthConfiguration"]["clientSecret"] == events.REDACTED


async def test_logins_leave_a_login_record_and_failures_an_audit_entry_with_the_reason(client, registry):
    app = await make_application(registry)
    user = await make_user(registry, apps=[app])
    ok = await client.post("/api/login", json={"loginId": "richard@example.com", "password": "password",
                                               "applicationId": app["id"]}, headers={"User-Agent": "browser/1"})
    assert ok.status_code == 200
    for password in ("wrong-password-1", "wrong-password-2"):
        assert (await client.post("/api/login", json={"loginId": "richard@example.com", "password": password})).status_code == 404
    assert (await client.post("/api/login", json={"loginId": "nobody@example.com", "password": "whatever-pw"})).status_code == 404
    total, logins = await registry.db.login_records.search(LoginQuery(user_id=user["id"], total=True))
    assert total == 1 and logins[0]["application_id"] == app["id"] and logins[0]["user_agent"] == "browser/1"
    assert logins[0]["login_id"] == "richard@example.com"
    failed = await _audit(registry, message="login failed")
    assert len(failed) == 3
    assert {r["data"]["loginId"] for r in failed} == {"richard@example.com", "nobody@example.com"}
    assert all(r["data"]["reason"] == "invalid credentials" for r in failed)
    assert "wrong-password" not in json.dumps([dict(r) for r in failed])


async def test_refresh_token_reuse_and_revocation_are_recorded(client, registry, admin):
    app = await make_application(registry, jwtConfiguration={"refreshTokenUsagePolicy": "OneTimeUse"})
    user = await make_user(registry, apps=[app])
    body = {"loginId": "richard@example.com", "password": "password", "applicationId": app["id"]}
    first = (await client.post("/api/login", json=body)).json()["refreshToken"]
    client.cookies.clear()
    assert (await client.post("/api/jwt/refresh", json={"refreshToken": first})).status_code == 200
    client.cookies.clear()
    assert (await client.post("/api/jwt/refresh", json={"refreshToken": first})).status_code == 400
    assert (await client.delete(f"/api/jwt/refresh?userId={user['id']}", headers=admin)).status_code == 200
    rows = list(reversed(await _audit(registry, user=user["id"])))
    assert [r["event_type"] for r in rows] == ["jwt.refresh-token.reuse-detected", "jwt.refresh-token.revoke"]
    assert rows[0]["application_id"] == app["id"] and first not in json.dumps(rows[0]["data"])


async def test_an_import_and_its_events_stand_or_fall_together(client, registry, admin):
    import bcrypt

    hashed = {"password": bcrypt.hashpw(b"correct horse", bcrypt.gensalt(rounds=4)).decode(), "encryptionScheme": "bcrypt"}
    users = [{"email": f"u{i}@example.com", **hashed} for i in range(3)]
    assert (await client.post("/api/user/import", json={"users": users}, headers=admin)).status_code == 200
    created = await _audit(registry, message="user.create")
    assert len(created) == 3 and {r["data"]["user"]["email"] for r in created} == {u["email"] for u in users}
    # One of these collides with a stored user (refused by the pre-check or the unique constraint): nothing
    # of the request is kept, neither the users nor their events.
    clash = [{"email": "new@example.com", **hashed}, {"id": created[0]["user_id"], "email": "other@example.com", **hashed}]
    assert (await client.post("/api/user/import", json={"users": clash}, headers=admin)).status_code == 400
    assert await registry.db.users.find_by_login_id("new@example.com") is None
    assert len(await _audit(registry, message="user.create")) == 3


async def test_password_reset_password_change_and_email_verification_are_events(registry):
    from authgate.lifecycle import change_password, reset_password, verify_email

    app = await make_application(registry)
    user = await make_user(registry, apps=[app])
    vid = await verify_email.start(registry, user, app["id"], send_email=False)
    await verify_email.complete(registry, vid)
    cid = await reset_password.start(registry, user, app["id"], send_email=False)
    user = await reset_password.complete(registry, cid, "a brand new passphrase")
    await change_password.change_with_current(registry, user, "a brand new passphrase", "yet another passphrase")
    rows = list(reversed(await _audit(registry, user=user["id"])))
    assert [r["event_type"] for r in rows] == ["user.email.verified", "user.password.update",
                                              "user.password.reset.success", "user.password.update"]
    assert rows[0]["application_id"] == app["id"]
    text = json.dumps([r["data"] for r in rows])
    assert "passphrase" not in text and cid not in text and vid not in text


async def test_a_login_is_recorded_once_it_is_complete_second_factor_included(client, registry, admin):
    from tests.mfa.conftest import code_now, next_step
    from tests.mfa.test_api import enrol, password_login, setup

    app, _, user = await setup(registry)
    secret, _ = await enrol(client, admin, user["id"])
    first = await password_login(client, app)
    assert first.status_code == 242
    total, _ = await registry.db.login_records.search(LoginQuery(user_id=user["id"], total=True))
    assert total == 0  # the password alone is not a login yet
    wrong = await client.post("/api/two-factor/login", json={"twoFactorId": first.json()["twoFactorId"],
                                                             "code": "000000", "applicationId": app["id"]})
    assert wrong.status_code == 421
    [failed] = await _audit(registry, user=user["id"], message="second factor")
    assert failed["event_type"] == "user.login.failed" and failed["application_id"] == app["id"]
    assert "000000" not in json.dumps(failed["data"])
    next_step()
    done = await client.post("/api/two-factor/login", json={"twoFactorId": first.json()["twoFactorId"],
                                                            "code": code_now(secret), "applicationId": app["id"]})
    assert done.status_code == 200
    total, rows = await registry.db.login_records.search(LoginQuery(user_id=user["id"], total=True))
    assert total == 1 and rows[0]["application_id"] == app["id"] and rows[0]["login_id"] == "richard@example.com"
