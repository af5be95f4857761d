"""The admin commands a new operator runs first, on an SQLite data dir."""
from __future__ import annotations

import json

from typer.testing import CliRunner

from authgate.cli import app

runner = CliRunner()


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_version():
    assert _run("--version").strip() == "authgate 0.1.0"


def test_migrate_app_user_and_key_commands(tmp_path):
    d = str(tmp_path)
    assert "up to date" in _run("migrate", "--data-dir", d)
    created = json.loads(_run("app", "create", "Store", "--redirect-url", "http://store.example/cb",
                              "--origin", "http://store.example", "--data-dir", d).strip().splitlines()[-1])
    assert created["name"] == "Store" and len(created["clientSecret"]) >= 32
    assert created["id"] in _run("app", "list", "--data-dir", d)
    user = json.loads(_run("user", "create", "ops@example.com", "--password", "correct horse battery",
                           "--register", created["id"], "--data-dir", d).strip().splitlines()[-1])
    assert user["email"] == "ops@example.com"
    assert "ops@example.com" in _run("user", "list", "--data-dir", d)
    first = _run("key", "rotate", "--data-dir", d)
    second = _run("key", "rotate", "--data-dir", d)
    assert first.startswith("new signing key") and first != second


def test_unknown_registration_target_fails_without_creating_the_user(tmp_path):
    d = str(tmp_path)
    result = runner.invoke(app, ["user", "create", "x@example.com", "--password", "long enough pw",
                                 "--register", "no-such-app", "--data-dir", d])
    assert result.exit_code == 1 and "no application with id 'no-such-app'" in result.output
    assert "x@example.com" not in _run("user", "list", "--data-dir", d)
    _run("user", "create", "x@example.com", "--password", "long enough pw", "--data-dir", d)
    again = runner.invoke(app, ["user", "create", "x@example.com", "--password", "long enough pw", "--data-dir", d])
    assert again.exit_code == 1 and "already exists" in again.output and "Traceback" not in again.output


def test_purge_prints_what_it_deleted(tmp_path):
    """`authgate purge` (for cron) deletes expired rows and says how many, per kind."""
    import sqlite3

    from authgate.clock import clock

    d = str(tmp_path)
    _run("migrate", "--data-dir", d)
    with sqlite3.connect(tmp_path / "authgate.db") as db:
        db.executemany("INSERT INTO used_nonces (value_digest, expires_instant) VALUES (?, ?)",
                       [(f"n{i}", 1) for i in range(3)] + [("live", clock.now_ms() + 3_600_000)])
    out = _run("purge", "--data-dir", d)
    assert "nonces: 3 deleted" in out and "refresh tokens: 0 deleted" in out
    with sqlite3.connect(tmp_path / "authgate.db") as db:
        assert db.execute("SELECT value_digest FROM used_nonces").fetchall() == [("live",)]


def _out(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_operator_commands_go_through_the_api_functions_and_leave_audit_events(tmp_path):
    import asyncio

    from authgate.config import Settings
    from authgate.registry import Registry
    from authgate.storage.repos.events import AuditQuery

    d = str(tmp_path)
    store = json.loads(_out("app", "create", "Store", "--redirect-url", "http://store.example/cb", "--data-dir", d).splitlines()[-1])
    ann = json.loads(_out("user", "create", "ann@example.com", "--password", "correct horse battery",
                          "--data-dir", d).splitlines()[-1])
    _out("user", "create", "bob@example.com", "--password", "correct horse battery", "--data-dir", d)
    listed = json.loads(_out("user", "list", "--json", "--data-dir", d))
    assert listed["total"] == 2 and {u["email"] for u in listed["users"]} == {"ann@example.com", "bob@example.com"}
    assert all("password" not in u for u in listed["users"])

    key = json.loads(_out("api-key", "create", "--description", "deploy bot", "--endpoint", "/api/user:GET,POST",
                          "--data-dir", d).splitlines()[-1])
    assert len(key["key"]) >= 32 and key["permissions"]["endpoints"] == {"/api/user": ["GET", "POST"]}
    keys = json.loads(_out("api-key", "list", "--json", "--data-dir", d))["apiKeys"]
    assert key["id"] in [k["id"] for k in keys] and all("key" not in k for k in keys)
    assert "deploy bot" in _out("api-key", "list", "--data-dir", d)
    bad = runner.invoke(app, ["api-key", "create", "--endpoint", "/api/nowhere:GET", "--data-dir", d])
    assert bad.exit_code == 1 and "Endpoints must be among" in bad.output  # the API's own validation

    async def lock_out() -> None:  # too many failed logins: the lockout `user unlock` lifts
        reg = Registry(Settings(data_dir=tmp_path))
        try:
            await reg.db.login_failures.lock(ann["id"], 10**15)
        finally:
            await reg.close()
    asyncio.run(lock_out())
    assert "unlocked" in _out("user", "unlock", "ann@example.com", "--data-dir", d)
    assert "deactivated" in _out("user", "delete", "bob@example.com", "--data-dir", d)
    assert "(deactivated)" in _out("user", "list", "--data-dir", d)
    assert "deleted" in _out("user", "delete", ann["id"], "--hard", "--data-dir", d)
    missing = runner.invoke(app, ["user", "delete", ann["id"], "--data-dir", d])
    assert missing.exit_code == 1 and "error:" in missing.output
    assert "deleted" in _out("api-key", "delete", key["id"], "--data-dir", d)
    assert "deactivated" in _out("app", "delete", store["id"], "--data-dir", d)

    async def audit() -> list[dict]:
        reg = Registry(Settings(data_dir=tmp_path))
        try:
            return (await reg.db.audit_log.search(AuditQuery(limit=100, newest_first=False)))[1]
        finally:
            await reg.close()
    entries = asyncio.run(audit())
    types = [e["event_type"] for e in entries]
    for expected in ("application.create", "user.create", "api-key.create", "user.update", "user.deactivate", "user.delete",
                     "api-key.delete", "application.delete"):
        assert expected in types, (expected, types)
    assert {e["insert_user"] for e in entries} == {"cli"} and key["key"] not in json.dumps([e["data"] for e in entries])
