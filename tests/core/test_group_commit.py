"""SQLite group commit (storage/inline.py) and the background WAL checkpointer, seen from outside:
another connection to the file, the threads of the process, the rows a race leaves behind."""
from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from authgate.clock import clock
from authgate.registry import Registry
from authgate.storage.repos import Conflict
from authgate.tokens import refresh
from authgate.web.app import start
from tests.conftest import make_settings

DEFER_FKS = text("PRAGMA defer_foreign_keys = ON")  # FK checks of this transaction move to COMMIT


def _checkpoint_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == "sqlite-checkpoint"}


@pytest.fixture
def statements() -> list[str]:
    """Every SQL statement the app's own connections to the file run, in order."""
    return []


@pytest.fixture
async def reg(tmp_path: Path, statements: list[str]) -> AsyncIterator[Registry]:
    registry = Registry(make_settings("sqlite", tmp_path))
    event.listen(registry.db.engine.sync_engine, "connect",
                 lambda dbapi, _record: dbapi.set_trace_callback(statements.append))
    await start(registry)
    try:
        yield registry
    finally:
        await registry.close()


def _outside(reg: Registry, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """Run a query on a connection of our own: it sees only what is committed."""
    with closing(sqlite3.connect(reg.db.engine.url.database)) as conn:
        return conn.execute(sql, args).fetchall()


def _emails(reg: Registry, prefix: str) -> list[str]:
    return sorted(e for (e,) in _outside(reg, "SELECT email FROM users WHERE email LIKE ?", prefix + "%"))


def _new_user(reg: Registry, email: str) -> Any:
    return reg.db.users.create({"email": email}, None)


async def test_concurrent_writes_are_committed_before_they_return_and_share_one_commit(reg, statements):
    async def create_and_look(i: int) -> dict[str, Any]:
        user = await _new_user(reg, f"burst{i:02}@example.com")
        # The moment the call returns, another connection sees the row: it is committed, not pending.
        assert _outside(reg, "SELECT email FROM users WHERE id = ?", user["id"]) == [(user["email"],)]
        return user

    users = await asyncio.gather(*(create_and_look(i) for i in range(20)))
    assert _emails(reg, "burst") == [f"burst{i:02}@example.com" for i in range(20)]
    commits = statements.count("COMMIT")
    tokens = await asyncio.gather(*(refresh.create(reg, user_id=u["id"], app=None) for u in users))
    assert len(_outside(reg, "SELECT id FROM refresh_tokens")) == 20
    assert statements.count("COMMIT") == commits + 1, "20 writes of one loop turn: one group, one commit"
    # And read back through the app's own (prepared) path.
    found = [await reg.db.refresh_tokens.find_by_token(token) for token, _ in tokens]
    assert [f["id"] for f in found] == [row["id"] for _, row in tokens]


async def test_a_failing_unit_is_rolled_back_alone_and_its_neighbours_are_committed(reg):
    await _new_user(reg, "taken@example.com")
    results = await asyncio.gather(_new_user(reg, "g1@example.com"), _new_user(reg, "taken@example.com"),
                                   _new_user(reg, "g2@example.com"), _new_user(reg, "g1@example.com"),
                                   _new_user(reg, "g3@example.com"), return_exceptions=True)
    assert [isinstance(r, Conflict) for r in results] == [False, True, False, True, False], results
    assert _emails(reg, "g") == ["g1@example.com", "g2@example.com", "g3@example.com"]
    assert _emails(reg, "taken") == ["taken@example.com"]
    assert all(_outside(reg, "SELECT 1 FROM users WHERE id = ?", r["id"]) for r in results if isinstance(r, dict))


async def test_a_lone_failed_write_leaves_the_database_unlocked(reg):
    user = await _new_user(reg, "alone@example.com")
    with pytest.raises(Conflict):
        await _new_user(reg, "alone@example.com")
    await asyncio.sleep(0.05)  # a few loop turns: time for any commit or rollback it scheduled
    with closing(sqlite3.connect(reg.db.engine.url.database, timeout=0.5)) as conn:
        conn.execute("UPDATE users SET version = version + 1 WHERE id = ?", (user["id"],))
        conn.commit()


async def test_reads_never_see_a_group_that_has_not_committed(reg):
    """A read in the same loop turn as a pending unit answers from the last committed state: the
    group may still fail, and what it wrote must never have been acted on."""
    user = await _new_user(reg, "reader@example.com")
    with reg.db.engine.unit() as tx:
        tx.write(text("DELETE FROM users WHERE id = :id").bindparams(id=user["id"]), {})
    seen = await reg.db.users.get(user["id"])  # fast-path read while the delete is pending
    await reg.db.engine.committed()
    assert seen is not None and seen["email"] == "reader@example.com"
    assert await reg.db.users.get(user["id"]) is None


async def test_a_sqlalchemy_write_while_a_group_is_pending_does_not_wait_on_it(reg):
    user = await _new_user(reg, "first@example.com")

    async def through_sqlalchemy() -> None:
        async with reg.db.engine.begin() as conn:
            await conn.execute(text("UPDATE users SET version = 7 WHERE id = :id"), {"id": user["id"]})

    started = time.monotonic()
    # The first task leaves its unit pending (holding the write lock); the second opens another connection.
    await asyncio.wait_for(asyncio.gather(_new_user(reg, "second@example.com"), through_sqlalchemy()), timeout=8)
    assert time.monotonic() - started < 2, "waited on our own lock (busy_timeout is 10 s)"
    assert _emails(reg, "second") == ["second@example.com"]
    assert _outside(reg, "SELECT version FROM users WHERE id = ?", user["id"]) == [(7,)]


async def test_a_failed_group_commit_fails_every_waiter_and_stores_nothing(reg):
    owner = await _new_user(reg, "owner@example.com")

    async def dangling_token() -> Any:
        with reg.db.engine.unit() as tx:  # same loop turn as the others: same group
            tx.write(DEFER_FKS, {})
        # Refers to no user: accepted by the statement, refused by the group's COMMIT.
        return await refresh.create(reg, user_id=str(uuid.uuid4()), app=None)

    results = await asyncio.gather(_new_user(reg, "doomed1@example.com"), dangling_token(),
                                   refresh.create(reg, user_id=owner["id"], app=None),
                                   _new_user(reg, "doomed2@example.com"), return_exceptions=True)
    assert all(isinstance(r, sqlite3.IntegrityError) and "FOREIGN KEY" in str(r) for r in results), results
    assert _emails(reg, "doomed") == []
    assert _outside(reg, "SELECT id FROM refresh_tokens") == []
    # The failed transaction was rolled back, not left open: the next writes go through.
    await asyncio.gather(_new_user(reg, "after1@example.com"), _new_user(reg, "after2@example.com"))
    assert _emails(reg, "after") == ["after1@example.com", "after2@example.com"]


def _successor_values(row: dict[str, Any]) -> dict[str, Any]:
    now = clock.now_ms()
    return {"id": str(uuid.uuid4()), "family_id": row["family_id"], "user_id": row["user_id"],
            "application_id": row["application_id"], "session_id": row["session_id"],
            "start_instant": row["start_instant"], "insert_instant": now, "expires_instant": row["expires_instant"],
            "doc": {}}


@pytest.mark.parametrize("revocation_first", [False, True])
async def test_rotation_and_family_revocation_in_one_loop_turn_leave_no_live_token(reg, revocation_first):
    """A replay revokes the family in the same loop turn as the legitimate rotation (pending in a group,
    or not yet run): whichever goes first, no token of the family survives."""
    user = await _new_user(reg, "victim@example.com")
    _, row = await refresh.create(reg, user_id=user["id"], app=None)
    repo = reg.db.refresh_tokens
    rotate = repo.rotate(row["id"], "successor-" + uuid.uuid4().hex, _successor_values(row))
    revoke = repo.revoke_family(row["family_id"])
    if revocation_first:
        revoked, rotated = await asyncio.gather(revoke, rotate)
    else:
        rotated, revoked = await asyncio.gather(rotate, revoke)
    family = _outside(reg, "SELECT id, used_instant, revoked_instant FROM refresh_tokens WHERE family_id = ?",
                      row["family_id"])
    assert all(revoked_at is not None for _, _, revoked_at in family), family
    assert revoked == len(family)
    assert (rotated is None) is revocation_first
    assert len(family) == (1 if revocation_first else 2)


async def test_the_checkpointer_moves_the_log_into_the_database_file_and_stops_on_close(tmp_path):
    registry = Registry(make_settings("sqlite", tmp_path))
    before = _checkpoint_threads()
    await start(registry)
    try:
        mine = _checkpoint_threads() - before
        assert len(mine) == 1, "started by the first write"
        for batch in range(5):
            await asyncio.gather(*(_new_user(registry, f"ckpt{batch}-{i:02}@example.com") for i in range(20)))
        path = registry.db.engine.url.database
        in_file: int | None = None
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            try:  # immutable=1: the database file alone, the -wal log is not read
                with closing(sqlite3.connect(f"file:{path}?immutable=1", uri=True)) as conn:
                    in_file = conn.execute("SELECT count(*) FROM users WHERE email LIKE 'ckpt%'").fetchone()[0]
            except sqlite3.DatabaseError:
                continue  # read the file mid-checkpoint: look again
            if in_file == 100:
                break
        # Far below the in-commit bound (wal_autocheckpoint): only the background thread copies it.
        assert in_file == 100
    finally:
        await registry.close()
    assert not any(t.is_alive() for t in mine)
    assert not mine & _checkpoint_threads()


async def test_a_disk_full_in_a_later_unit_fails_the_whole_group_it_rolled_back(reg):
    """SQLITE_FULL (like an I/O error) rolls back the whole shared transaction, not one savepoint:
    the earlier unit of the same loop turn must be told its write is lost, never "committed"."""
    await _new_user(reg, "warmup@example.com")
    conn = reg.db.engine._connection()
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count={pages + 2}")
    results = await asyncio.gather(reg.db.users.create({"email": "small@example.com"}, None),
                                   reg.db.users.create({"email": "big@example.com", "blob": "x" * 300_000}, None),
                                   return_exceptions=True)
    assert all(isinstance(r, BaseException) for r in results), results
    assert _emails(reg, "small") == [] and _emails(reg, "big") == []
    conn.execute("PRAGMA max_page_count=1073741823")
    assert (await _new_user(reg, "after@example.com"))["email"] == "after@example.com"
