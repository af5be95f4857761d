"""User import: PBKDF2 and bcrypt hashes log in and are upgraded to argon2id; all or nothing."""
from __future__ import annotations

import base64
import hashlib
import os

import bcrypt
import httpx
import pytest

from authgate.registry import Registry
from tests.factories import make_user
from tests.fusionauth.conftest import field_codes


def fusionauth_pbkdf2(password: str, factor: int = 24000) -> dict[str, object]:
    """FusionAuth's salted-pbkdf2-hmac-sha256: PBKDF2WithHmacSHA256, 256-bit output, base64 salt and hash."""
    salt = os.urandom(32)
    derived = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, factor, dklen=32)
    return {"password": base64.b64encode(derived).decode(), "salt": base64.b64encode(salt).decode(),
            "factor": factor, "encryptionScheme": "salted-pbkdf2-hmac-sha256"}


async def _login(client: httpx.AsyncClient, login_id: str, password: str) -> int:
    return (await client.post("/api/login", json={"loginId": login_id, "password": password})).status_code


async def test_imported_hashes_log_in_and_become_argon2id(client: httpx.AsyncClient, admin: dict[str, str],
                                                          registry: Registry) -> None:
    bcrypt_hash = bcrypt.hashpw(b"bcrypt password", bcrypt.gensalt(rounds=4)).decode().replace("$2b$", "$2a$", 1)
    users = [{"email": "pb@example.com", "firstName": "Pat", **fusionauth_pbkdf2("pbkdf2 password")},
             {"username": "bc", "password": bcrypt_hash, "encryptionScheme": "bcrypt"}]
    r = await client.post("/api/user/import", json={"users": users}, headers=admin)
    assert r.status_code == 200, r.text
    pb = await registry.db.users.find_by(email="pb@example.com")
    assert pb["password_hash"].startswith("$pbkdf2-sha256$24000$") and pb["doc"]["firstName"] == "Pat"
    assert "salt" not in pb["doc"] and "password" not in pb["doc"]
    got = (await client.get(f"/api/user/{pb['id']}", headers=admin)).json()["user"]
    assert not {"password", "salt", "factor", "encryptionScheme"} & set(got)
    for login_id, password in (("pb@example.com", "pbkdf2 password"), ("bc", "bcrypt password")):
        assert await _login(client, login_id, "wrong password") == 404
        assert await _login(client, login_id, password) == 200
        row = await registry.db.users.find_by_login_id(login_id)
        assert row["password_hash"].startswith("$argon2id$")
        assert await _login(client, login_id, password) == 200  # and the upgraded hash works


@pytest.mark.parametrize("user,expected", [
    ({"password": "x", "encryptionScheme": "md5"}, {"users[1].encryptionScheme": ["[invalid]users[1].encryptionScheme"]}),
    ({"password": "not base64!", "salt": "AAAA", "factor": 1000, "encryptionScheme": "salted-pbkdf2-hmac-sha256"},
     {"users[1].password": ["[invalid]users[1].password"]}),
    ({"password": "AAAA", "salt": "AAAA", "factor": "many", "encryptionScheme": "salted-pbkdf2-hmac-sha256"},
     {"users[1].factor": ["[invalid]users[1].factor"]}),
    ({"password": "$2a$04$short", "encryptionScheme": "bcrypt"}, {"users[1].password": ["[invalid]users[1].password"]}),
    ({"email": "first@example.com"}, {"users[1].email": ["[duplicate]users[1].email"]}),
    ({"email": "richard@example.com"}, {"users[1].email": ["[duplicate]users[1].email"]}),
    ({"email": "nope"}, {"users[1].email": ["[invalid]users[1].email"]}),
])
async def test_one_bad_user_imports_nothing(client: httpx.AsyncClient, admin: dict[str, str], registry: Registry,
                                            user: dict, expected: dict) -> None:
    await make_user(registry)
    users = [{"email": "first@example.com"}, {"email": "second@example.com", **user}]
    r = await client.post("/api/user/import", json={"users": users}, headers=admin)
    assert r.status_code == 400 and field_codes(r) == expected
    assert await registry.db.users.find_by(email="first@example.com") is None
    assert (await registry.db.users.search(None, None, 0, 10))[0] == 1


async def test_import_body_errors(client: httpx.AsyncClient, admin: dict[str, str], registry: Registry) -> None:
    for body in ({}, {"users": []}, {"users": "all"}):
        r = await client.post("/api/user/import", json=body, headers=admin)
        assert r.status_code == 400 and field_codes(r) == {"users": ["[blank]users"]}
    r = await client.post("/api/user/import", json={"users": ["x"]}, headers=admin)
    assert field_codes(r) == {"users[0]": ["[invalid]users[0]"]}
    r = await client.post("/api/user/import", content=b"{", headers={**admin, "Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["generalErrors"][0]["code"] == "[invalid]json"
    assert (await registry.db.users.search(None, None, 0, 10))[0] == 0


async def test_a_user_created_meanwhile_makes_the_import_write_nothing(client: httpx.AsyncClient, admin: dict[str, str],
                                                                       registry: Registry, monkeypatch) -> None:
    """The users are checked first and written in one transaction: if a conflicting user appears
    between the two (another request), the write fails and none of the import is kept."""
    from authgate import user_import

    real_check = user_import.check_unique

    async def check_then_someone_registers(reg, doc, errors, prefix):
        await real_check(reg, doc, errors, prefix)
        if doc.get("email") == "third@example.com":
            await make_user(registry, email="third@example.com")  # lands after the check

    monkeypatch.setattr(user_import, "check_unique", check_then_someone_registers)
    users = [{"email": "first@example.com"}, {"email": "second@example.com"}, {"email": "third@example.com"}]
    r = await client.post("/api/user/import", json={"users": users}, headers=admin)
    assert r.status_code == 400 and r.json()["generalErrors"][0]["code"] == "[duplicate]user"
    for email in ("first@example.com", "second@example.com"):
        assert await registry.db.users.find_by(email=email) is None
    assert (await registry.db.users.search(None, None, 0, 10))[0] == 1  # only the one created meanwhile
    # and the database is usable afterwards: the same import without the conflict goes through
    r = await client.post("/api/user/import", json={"users": users[:2]}, headers=admin)
    assert r.status_code == 200
    assert await registry.db.users.find_by(email="second@example.com") is not None
