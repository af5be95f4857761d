"""Data retention: the janitor deletes what has served its purpose, and nothing else (SQLite and PostgreSQL)."""
from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from authgate import retention
from authgate.clock import clock
from authgate.registry import Registry
from authgate.storage.schema import authorization_codes, refresh_tokens, revoked_grants, sso_sessions, used_nonces
from tests.conftest import PG_DSN
from tests.factories import make_application, make_user

EXPIRED_PER_TABLE = 20_000  # five tables: 100k expired rows
TABLES = (authorization_codes, used_nonces, sso_sessions, refresh_tokens, revoked_grants)
DAY = 86_400_000


def _id() -> str:
    return str(uuid.uuid4())


async def _bulk(reg: Registry, table: Any, rows: list[dict[str, Any]]) -> None:
    """executemany in chunks (SQLite) / COPY (PostgreSQL): seconds for 100k rows, not minutes."""
    if reg.db.pg is not None:
        import asyncpg

        columns = [c.name for c in table.columns]
        records = [tuple('{}' if name == "doc" else row.get(name) for name in columns) for row in rows]
        conn = await asyncpg.connect(PG_DSN, server_settings={"search_path": reg.settings.database_schema})
        try:
            await conn.copy_records_to_table(table.name, records=records, columns=columns)
        finally:
            await conn.close()
        return
    async with reg.db.engine.begin() as conn:
        await conn.execute(table.insert(), rows)


async def _count(reg: Registry, table: Any) -> int:
    async with reg.db.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def _ids(reg: Registry, column: Any) -> set[str]:
    async with reg.db.engine.connect() as conn:
        return set((await conn.execute(select(column))).scalars())


def _refresh(user: str, app: str, *, expires: int, family: str | None = None, revoked: int | None = None,
             used: int | None = None) -> dict[str, Any]:
    return {"id": _id(), "token_digest": uuid.uuid4().hex * 2, "family_id": family or _id(), "user_id": user,
            "application_id": app, "session_id": None, "start_instant": expires - DAY, "insert_instant": expires - DAY,
            "expires_instant": expires, "used_instant": used, "revoked_instant": revoked, "doc": {}}


def _code(user: str, app: str, *, expires: int, consumed: int | None = None, grant: str | None = None) -> dict[str, Any]:
    return {"code_digest": uuid.uuid4().hex * 2, "application_id": app, "user_id": user, "session_id": None,
            "grant_id": grant or _id(), "insert_instant": expires - 60_000, "expires_instant": expires,
            "consumed_instant": consumed, "doc": {}}


def _session(user: str, *, expires: int, revoked: int | None = None) -> dict[str, Any]:
    return {"id": _id(), "cookie_digest": uuid.uuid4().hex * 2, "user_id": user, "auth_instant": expires - DAY,
            "insert_instant": expires - DAY, "expires_instant": expires, "revoked_instant": revoked}


async def _world(reg: Registry) -> tuple[str, str]:
    app = await make_application(reg)
    user = await make_user(reg, apps=[app])
    return user["id"], app["id"]


async def test_a_purge_deletes_100k_expired_rows_and_leaves_every_live_row(registry: Registry) -> None:
    user, app = await _world(registry)
    now = clock.now_ms()
    gone = now - 3_600_000  # expired an hour ago: past the grace period
    n = EXPIRED_PER_TABLE
    await _bulk(registry, authorization_codes, [_code(user, app, expires=gone) for _ in range(n)])
    await _bulk(registry, used_nonces, [{"value_digest": uuid.uuid4().hex * 2, "expires_instant": gone} for _ in range(n)])
    await _bulk(registry, sso_sessions, [_session(user, expires=gone, revoked=gone - 5 if i % 2 else None)
                                         for i in range(n)])
    await _bulk(registry, refresh_tokens, [_refresh(user, app, expires=gone, used=gone - 9 if i % 3 else None)
                                           for i in range(n)])
    await _bulk(registry, revoked_grants, [{"grant_id": _id(), "revoked_instant": gone - DAY, "expires_instant": gone}
                                           for _ in range(n)])

    # What must stay: live rows, rows inside the grace period, and the spent rows a replay of
    # which must still be detected.
    live_family = _id()
    keep_refresh = [
        _refresh(user, app, expires=now + DAY),  # live
        _refresh(user, app, expires=now + DAY, revoked=now - 1000),  # revoked, not yet expired
        _refresh(user, app, expires=now - 1000),  # expired a second ago: inside the grace period
        # rotated away and expired, but its family's successor is live: a replay must still revoke it
        _refresh(user, app, expires=gone, used=gone - 5, family=live_family),
        _refresh(user, app, expires=now + DAY, family=live_family),
    ]
    keep_codes = [
        _code(user, app, expires=now + 60_000),
        # spent an hour ago: its grant's access tokens may live on, so a replay must still revoke them
        _code(user, app, expires=gone, consumed=gone - 1000),
        _code(user, app, expires=now - 8 * DAY, consumed=now - 8 * DAY, grant=live_family),  # family still live
    ]
    keep_sessions = [_session(user, expires=now + DAY), _session(user, expires=now + DAY, revoked=now - 5)]
    keep_nonces = [{"value_digest": uuid.uuid4().hex * 2, "expires_instant": now + 60_000}]
    keep_grants = [{"grant_id": _id(), "revoked_instant": now, "expires_instant": now + DAY}]
    # spent long ago with no live family: its replay can revoke nothing any more
    old_spent = _code(user, app, expires=now - 8 * DAY, consumed=now - 8 * DAY)
    for table, rows in ((refresh_tokens, keep_refresh), (authorization_codes, [*keep_codes, old_spent]),
                        (sso_sessions, keep_sessions), (used_nonces, keep_nonces), (revoked_grants, keep_grants)):
        await _bulk(registry, table, rows)

    deleted = await retention.purge(registry.db, registry.settings)

    # Rules of tables this test left empty (other features' tables) delete nothing.
    assert {k: v for k, v in deleted.items() if v} == {"authorization codes": n + 1, "nonces": n, "sso sessions": n, "refresh tokens": n,
                       "revocation records": n}
    assert await _ids(registry, refresh_tokens.c.id) == {r["id"] for r in keep_refresh}
    assert await _ids(registry, authorization_codes.c.code_digest) == {c["code_digest"] for c in keep_codes}
    assert await _ids(registry, sso_sessions.c.id) == {s["id"] for s in keep_sessions}
    assert await _ids(registry, used_nonces.c.value_digest) == {v["value_digest"] for v in keep_nonces}
    assert await _ids(registry, revoked_grants.c.grant_id) == {g["grant_id"] for g in keep_grants}
    # A second purge finds nothing: deletes are idempotent.
    assert set((await retention.purge(registry.db, registry.settings) or {}).values()) == {0}


async def test_the_family_goes_once_its_last_live_token_expires(registry: Registry) -> None:
    user, app = await _world(registry)
    now = clock.now_ms()
    family = _id()
    rows = [_refresh(user, app, expires=now - DAY, used=now - 2 * DAY, family=family),
            _refresh(user, app, expires=now + 60_000, family=family)]
    await _bulk(registry, refresh_tokens, rows)
    assert (await retention.purge(registry.db, registry.settings) or {})["refresh tokens"] == 0
    clock.advance(3600)
    assert (await retention.purge(registry.db, registry.settings) or {})["refresh tokens"] == 2
    assert await _count(registry, refresh_tokens) == 0


async def test_a_spent_token_of_a_family_that_lives_on_goes_a_replay_window_after_its_expiry(registry: Registry) -> None:
    """A family whose expiry slides with each use (SlidingWindow) may live for ever; its spent
    tokens are kept for reuse detection for `REPLAY_DAYS` past their own expiry, then go."""
    from authgate.storage import purge

    user, app = await _world(registry)
    now = clock.now_ms()
    family = _id()
    window = purge.REPLAY_DAYS * DAY
    old = _refresh(user, app, expires=now - window - DAY, used=now - window - 2 * DAY, family=family)
    recent = _refresh(user, app, expires=now - window + DAY, used=now - window, family=family)
    live = _refresh(user, app, expires=now + DAY, family=family)
    await _bulk(registry, refresh_tokens, [old, recent, live])
    assert (await retention.purge(registry.db, registry.settings) or {})["refresh tokens"] == 1
    assert await _ids(registry, refresh_tokens.c.id) == {recent["id"], live["id"]}


async def test_the_sweep_walks_every_window_of_the_table(registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each statement looks at one window (SQLite rowids, PostgreSQL heap blocks); one sweep still
    reaches every expired row of the table, and no live one, wherever they lie."""
    from authgate.storage import purge

    monkeypatch.setattr(purge, "WINDOW", 40)
    monkeypatch.setattr(purge, "WINDOW_BLOCKS", 2)
    user, _ = await _world(registry)
    now = clock.now_ms()
    rows = [_session(user, expires=now - 3_600_000 if i % 3 else now + DAY) for i in range(1500)]
    await _bulk(registry, sso_sessions, rows)
    deleted = await retention.purge(registry.db, registry.settings, batch=25)
    assert deleted is not None and deleted["sso sessions"] == 1000
    assert await _ids(registry, sso_sessions.c.id) == {r["id"] for i, r in enumerate(rows) if not i % 3}


async def test_purged_tokens_and_codes_are_refused_as_before(client, registry: Registry) -> None:
    """What a user notices: an expired refresh token is refused before and after the purge alike."""
    app = await make_application(registry)
    await make_user(registry, apps=[app])
    login = await client.post("/api/login", json={"loginId": "richard@example.com", "password": "password",
                                                  "applicationId": app["id"]})
    token = login.json()["refreshToken"]
    client.cookies.clear()
    clock.advance(registry.settings.refresh_token_ttl_minutes * 60 + 3600)
    before = await client.post("/api/jwt/refresh", json={"refreshToken": token})
    deleted = await retention.purge(registry.db, registry.settings)
    assert deleted is not None and deleted["refresh tokens"] == 1
    after = await client.post("/api/jwt/refresh", json={"refreshToken": token})
    assert before.status_code == after.status_code == 400
    code = lambda r: r.json()["fieldErrors"]["refreshToken"][0]["code"]  # noqa: E731
    assert code(before) == code(after) == "[invalid]refreshToken"  # the message says "expired" / "does not exist"


async def test_concurrent_purges_delete_each_row_once(registry: Registry) -> None:
    """Two nodes sweeping at once: on PostgreSQL one sweeps and the other skips its turn; on SQLite
    both run and the deletes simply find fewer rows. Either way every row goes exactly once."""
    user, _ = await _world(registry)
    gone = clock.now_ms() - 3_600_000
    await _bulk(registry, sso_sessions, [_session(user, expires=gone) for _ in range(2500)])
    results = await asyncio.gather(*(retention.purge(registry.db, registry.settings, batch=500) for _ in range(2)))
    done = [r for r in results if r is not None]
    if registry.db.pg is not None:
        assert len(done) == 1, results
    assert sum(r["sso sessions"] for r in done) == 2500
    assert await _count(registry, sso_sessions) == 0


async def test_the_janitor_runs_on_its_timer_and_stops(registry: Registry) -> None:
    user, _ = await _world(registry)
    await _bulk(registry, sso_sessions, [_session(user, expires=clock.now_ms() - 3_600_000) for _ in range(10)])
    janitor = retention.Janitor(registry, interval=0.01)
    janitor.start()
    try:
        for _ in range(500):  # waits for the background task, up to 5 s; no expiry is waited out
            if await _count(registry, sso_sessions) == 0:
                break
            await asyncio.sleep(0.01)
        assert await _count(registry, sso_sessions) == 0
    finally:
        await janitor.stop()


def test_a_zero_interval_starts_no_janitor() -> None:
    janitor = retention.Janitor(None, interval=0)  # type: ignore[arg-type]
    janitor.start()  # no running loop needed: nothing is scheduled
    assert janitor._task is None


@pytest.mark.parametrize("batch", [7])
async def test_batches_are_bounded(registry: Registry, batch: int) -> None:
    """Each statement deletes at most `batch` rows; the sweep repeats until fewer come back."""
    user, _ = await _world(registry)
    await _bulk(registry, used_nonces, [{"value_digest": uuid.uuid4().hex * 2, "expires_instant": 1} for _ in range(30)])
    from authgate.storage import purge

    rule = next(r for r in purge.RULES if r.name == "nonces")
    async with purge.sweep(registry.db) as sweep:
        assert sweep is not None
        counts = [await sweep.batch(rule, retention._bounds(registry.settings), batch) for _ in range(6)]
    assert counts == [7, 7, 7, 7, 2, 0]


async def test_serve_runs_the_janitor_on_its_timer(tmp_path) -> None:
    """The app `serve` runs starts the janitor with its lifespan and stops it at shutdown."""
    from authgate.web.app import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings("sqlite", tmp_path, purge_interval_seconds=0.01))
    async with app.router.lifespan_context(app):
        reg = app.state.registry
        user, _ = await _world(reg)
        await _bulk(reg, sso_sessions, [_session(user, expires=clock.now_ms() - 3_600_000) for _ in range(5)])
        for _ in range(500):  # the background task's turn, up to 5 s
            if await _count(reg, sso_sessions) == 0:
                break
            await asyncio.sleep(0.01)
        assert await _count(reg, sso_sessions) == 0


async def test_login_counters_go_once_their_window_and_lock_are_over(client, registry: Registry) -> None:
    """Guesses at made-up login ids leave counters; the janitor removes them when they no longer count."""
    for i in range(3):
        r = await client.post("/api/login", json={"loginId": f"nobody{i}@example.com", "password": "x"})
        assert r.status_code in (401, 404)
    from authgate.storage.schema import login_attempts

    assert await _count(registry, login_attempts) > 0
    assert (await retention.purge(registry.db, registry.settings) or {})["login attempts"] == 0  # still counting
    clock.advance(registry.settings.lockout_seconds + registry.settings.failed_login_window_seconds + 3600)
    assert (await retention.purge(registry.db, registry.settings) or {})["login attempts"] > 0
    assert await _count(registry, login_attempts) == 0
