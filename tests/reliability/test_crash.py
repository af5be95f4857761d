"""Crash safety: `kill -9` a node in the middle of a login/refresh/revoke load, restart it on the same
data, and check that everything the load was answered 200 for survived (SQLite file and PostgreSQL).
"""
from __future__ import annotations

import asyncio
import random
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from authgate.config import Settings
from authgate.registry import Registry
from authgate.storage.db import digest
from authgate.storage.schema import refresh_tokens as rt
from authgate.web.app import start
from tests.conftest import API_KEY, PG_URL, _pg_exec, make_settings, pg_skip_reason
from tests.reliability import nodes

LOAD_SECONDS, KILL_AFTER, WORKERS = 2.0, 1.3, 6


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path):
    reg = Registry(make_settings("sqlite", tmp_path))
    try:
        await start(reg)
        async with reg.db.engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar_one().lower() == "wal"
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar_one() == 1
    finally:
        await reg.close()


class Ledger:
    """What the load was told had happened (a 200), to check after the crash."""

    def __init__(self) -> None:
        self.users: list[str] = []
        self.live: dict[str, str] = {}  # refresh token -> family, when last seen alive
        self.consumed: list[str] = []  # rotated away by a 200 refresh
        self.revoked: list[str] = []  # revoked by a 200 DELETE
        self.errors = 0


async def _worker(url: str, who: dict[str, Any], ledger: Ledger, stop_at: float) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=5) as c:
        await _work(c, who, ledger, stop_at)


async def _work(c: httpx.AsyncClient, who: dict[str, Any], ledger: Ledger, stop_at: float) -> None:
    # Every worker cycles through the same steps, starting at a different one.
    steps = ["user", "login", "refresh", "refresh", "revoke", "login", "refresh"]
    i = random.randrange(len(steps))
    token: str | None = None
    while time.monotonic() < stop_at:
        c.cookies.clear()  # the refresh_token cookie would win over the body's token
        step = steps[i % len(steps)]
        i += 1
        if token is None and step in ("refresh", "revoke"):
            step = "login"
        try:
            if step == "user":
                r = await c.post("/api/user", headers=nodes.ADMIN, json={"user": {
                    "email": f"load-{uuid.uuid4().hex[:12]}@example.com", "password": "password123"}})
                if r.status_code == 200:
                    ledger.users.append(r.json()["user"]["id"])
            elif step == "login":
                r = await c.post("/api/login", json={"loginId": who["email"], "password": who["password"],
                                                     "applicationId": who["app_id"]})
                if r.status_code == 200:
                    token = r.json()["refreshToken"]
                    ledger.live[token] = r.json()["refreshTokenId"]
            elif step == "revoke":
                r = await c.delete("/api/jwt/refresh", params={"token": token})
                if r.status_code == 200:
                    ledger.live.pop(token, None)
                    ledger.revoked.append(token)
                token = None
            else:
                r = await c.post("/api/jwt/refresh", json={"refreshToken": token})
                if r.status_code == 200:
                    ledger.live.pop(token, None)
                    ledger.consumed.append(token)
                    token = r.json()["refreshToken"]
                    ledger.live[token] = r.json()["refreshTokenId"]
                else:
                    token = None
        except httpx.TransportError:
            ledger.errors += 1
            await asyncio.sleep(0.05)  # the node is gone: unacknowledged work proves nothing


async def _load_then_kill(node: nodes.Node, who: dict[str, Any]) -> Ledger:
    ledger = Ledger()
    start = time.monotonic()

    async def killer() -> None:
        await asyncio.sleep(KILL_AFTER)
        node.kill9()

    await asyncio.gather(killer(), *(_worker(node.url, who, ledger, start + LOAD_SECONDS) for _ in range(WORKERS)))
    return ledger


async def _rows(settings: Settings) -> list[dict[str, Any]]:
    reg = Registry(settings)
    try:
        async with reg.db.engine.connect() as conn:
            return [dict(r) for r in (await conn.execute(select(rt))).mappings()]
    finally:
        await reg.close()


def _crash_and_check(tmp_path: Path, env: dict[str, str], settings: Settings) -> None:
    node = nodes.Node(tmp_path / "data", {"AUTHGATE_ISSUER": "http://idp.test", "AUTHGATE_RATE_LIMIT_STORAGE": "", **env},
                      tmp_path / "node.log")
    try:
        node.start()
        who = nodes.provision(node.url)
        ledger = asyncio.run(_load_then_kill(node, who))
        assert node.proc is not None and node.proc.returncode == -9
        assert ledger.users and ledger.consumed and ledger.revoked, "the load did too little to prove anything"
        assert ledger.errors, "the node died after the load, not during it"
        node.start()
        for user_id in ledger.users:
            assert httpx.get(f"{node.url}/api/user/{user_id}", headers=nodes.ADMIN).status_code == 200, user_id
        rows = {r["token_digest"]: r for r in asyncio.run(_rows(settings))}
        for token in [*ledger.live, *ledger.consumed, *ledger.revoked]:
            assert digest(token) in rows, "a refresh token answered with 200 was lost"
        for token in ledger.consumed:
            assert rows[digest(token)]["used_instant"] is not None, "a rotation answered with 200 was lost"
        for token in ledger.revoked:
            assert rows[digest(token)]["revoked_instant"] is not None, "a revocation answered with 200 was lost"
        live_per_family: dict[str, int] = {}
        for row in rows.values():
            if row["used_instant"] is None and row["revoked_instant"] is None:
                live_per_family[row["family_id"]] = live_per_family.get(row["family_id"], 0) + 1
        assert all(n == 1 for n in live_per_family.values()), live_per_family
        # No token is both rotated and still valid: every replay of a consumed or revoked token fails.
        for token in [*ledger.consumed, *ledger.revoked]:
            assert httpx.post(f"{node.url}/api/jwt/refresh", json={"refreshToken": token}).status_code == 400
    finally:
        node.stop()


@pytest.mark.slow
def test_kill_9_on_sqlite_loses_nothing_committed(tmp_path: Path):
    _crash_and_check(tmp_path, {}, Settings(data_dir=tmp_path / "data", api_key=API_KEY))


@pytest.mark.slow
@pytest.mark.postgres
def test_kill_9_on_postgres_loses_nothing_committed(tmp_path: Path):
    reason = pg_skip_reason()
    if reason:
        pytest.skip(reason)
    schema = nodes.new_schema()
    asyncio.run(_pg_exec(f"CREATE SCHEMA {schema}"))
    try:
        _crash_and_check(tmp_path, nodes.pg_env(schema),
                         Settings(data_dir=tmp_path / "data", database_url=PG_URL, database_schema=schema))
    finally:
        asyncio.run(_pg_exec(f"DROP SCHEMA {schema} CASCADE"))
