"""The password policy on every path that sets a password through the admin API and the CLI
(issue 15: "weak passwords (`password`, `12345678`) are accepted by the admin API")."""
from __future__ import annotations

from typing import Any

import pytest

from authgate import password_policy
from authgate.config import Settings
from tests.factories import make_application


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"password_reject_common": True}


def field_codes(r: Any) -> dict[str, list[str]]:
    return {k: [e["code"] for e in v] for k, v in r.json()["fieldErrors"].items()}


def test_the_shipped_list_has_ten_thousand_real_common_passwords():
    common = password_policy.common_passwords()
    assert len(common) == 10_000
    assert {"password", "123456", "12345678", "qwerty", "iloveyou", "password123"} <= common
    assert not password_policy.is_common("correct horse battery staple")
    assert password_policy.is_common("PassWord")  # case-insensitive, as the list is lower-cased


def test_length_rules_come_from_the_settings():
    s = Settings(password_min_length=12, password_max_length=20, password_reject_common=False)
    assert password_policy.check("a" * 11, s).code == "tooShort"
    assert password_policy.check("a" * 21, s).code == "tooLong"
    assert password_policy.check("a" * 12, s) is None
    assert password_policy.check("password", Settings(password_reject_common=False)) is None


@pytest.mark.parametrize("password", ["password", "12345678", "Password1", "qwertyuiop"])
async def test_admin_create_refuses_a_common_password(client, admin, password):
    r = await client.post("/api/user", headers=admin, json={"user": {"email": "a@example.com", "password": password}})
    assert r.status_code == 400
    assert field_codes(r) == {"user.password": ["[breachedCommonPassword]user.password"]}
    assert (await client.get("/api/user", headers=admin, params={"email": "a@example.com"})).status_code == 404


async def test_admin_update_and_patch_refuse_a_common_password(client, admin):
    r = await client.post("/api/user", headers=admin, json={"user": {"email": "a@example.com", "password": "unusual words 42"},
                                                            "skipVerification": True})
    uid = r.json()["user"]["id"]
    for method in (client.put, client.patch):
        r = await method(f"/api/user/{uid}", headers=admin, json={"user": {"email": "a@example.com", "password": "12345678"}})
        assert r.status_code == 400 and field_codes(r) == {"user.password": ["[breachedCommonPassword]user.password"]}
    login = await client.post("/api/login", json={"loginId": "a@example.com", "password": "unusual words 42"})
    assert login.status_code == 200  # the old password still works: nothing was stored


async def test_combined_registration_refuses_a_common_password(client, admin, registry):
    app = await make_application(registry)
    r = await client.post("/api/user/registration", headers=admin, json={
        "user": {"email": "a@example.com", "password": "iloveyou"}, "registration": {"applicationId": app["id"]}})
    assert r.status_code == 400 and field_codes(r) == {"user.password": ["[breachedCommonPassword]user.password"]}


async def test_import_of_hashes_is_not_subject_to_the_plain_text_rules(client, admin):
    bcrypt_hash = "$2b$04$" + "a" * 53
    r = await client.post("/api/user/import", headers=admin, json={"users": [
        {"email": "imp@example.com", "password": bcrypt_hash, "encryptionScheme": "bcrypt"}]})
    assert r.status_code == 200
