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
