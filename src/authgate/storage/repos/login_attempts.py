"""Password guesses, reserved before the hash (authgate/lockout.py says what the numbers mean).

`reserve` is one statement: an upsert of the two counters of a login attempt (its (account,
source) pair and its account), each counted +1 in SQL -- so concurrent requests, on one node or
many sharing the database, each see their own number -- and locked when it reaches its
threshold. It returns both rows; `refund` gives back a successful login's reservation.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Integer, String, bindparam, case, delete, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from authgate.storage.repos.base import Repo
from authgate.storage.schema import login_attempts as la

# Typed: PostgreSQL infers an untyped parameter as text (and `integer >= text` does not exist).
_NOW, _WINDOW, _LOCKOUT = (bindparam(n, type_=BigInteger()) for n in ("p_now", "p_window_ms", "p_lockout_ms"))
_PAIR, _ACCOUNT, _OWNER = (bindparam(n, type_=String()) for n in ("p_pair", "p_account", "p_owner"))
_THRESHOLD, _ACCOUNT_THRESHOLD = (bindparam(n, type_=Integer()) for n in ("p_threshold", "p_account_threshold"))


def _reserve(insert: Any) -> Any:
    new_row = {"account": _OWNER, "count": 1, "window_start_instant": _NOW, "locked_until_instant": None,
               "expires_instant": _NOW + _WINDOW}
    stmt = insert(la).values([{"key": _PAIR, **new_row}, {"key": _ACCOUNT, **new_row}])
    window_open = la.c.window_start_instant > _NOW - _WINDOW
    count = case((window_open, la.c.count + 1), else_=1)
    threshold = case((la.c.key == _ACCOUNT, _ACCOUNT_THRESHOLD), else_=_THRESHOLD)
    locked = case((count >= threshold, _NOW + _LOCKOUT), else_=la.c.locked_until_instant)
    window_start = case((window_open, la.c.window_start_instant), else_=_NOW)
    return stmt.on_conflict_do_update(index_elements=[la.c.key], set_={
        "count": count, "window_start_instant": window_start, "locked_until_instant": locked,
        # the later of the window's end and the lock's: when the janitor may delete the row
        "expires_instant": case((locked > window_start + _WINDOW, locked), else_=window_start + _WINDOW),
    }).returning(la.c.key, la.c.count, la.c.locked_until_instant)


_RESERVE_SQLITE, _RESERVE_PG = _reserve(sqlite_insert), _reserve(pg_insert)
# A first attempt that reaches the threshold (threshold 1) locks too: the INSERT branch cannot
# compare, so `lockout.py` treats count >= threshold as locked by this very reservation.
_REFUND = update(la).where(la.c.key.in_([_PAIR, _ACCOUNT])).values(
    count=case((la.c.key == _PAIR, 0), else_=case((la.c.count > 0, la.c.count - 1), else_=0)),
    locked_until_instant=case((la.c.key == _PAIR, None), else_=la.c.locked_until_instant))


class LoginAttempts(Repo):
    table = la

    async def reserve(self, pair: str, account: str, owner: str, *, now: int, window_ms: int, lockout_ms: int,
                      threshold: int, account_threshold: int) -> list[dict[str, Any]]:
        """Count one attempt against both keys, atomically; both rows after the increment."""
        values = {"p_pair": pair, "p_account": account, "p_owner": owner, "p_now": now, "p_window_ms": window_ms,
                  "p_lockout_ms": lockout_ms, "p_threshold": threshold, "p_account_threshold": account_threshold}
        if self.pg is not None:
            return await self.pg.all(_RESERVE_PG, values)  # autocommit: one statement, one transaction
        if self.inline is not None:
            with self.inline.unit() as tx:
                rows = tx.all(_RESERVE_SQLITE, values)
            await self.inline.committed()
            return rows
        async with self.engine.begin() as conn:
            return [dict(r) for r in (await conn.execute(_RESERVE_SQLITE, values)).mappings()]

    async def refund(self, pair: str, account: str) -> None:
        """A login succeeded: its pair starts afresh, and its account gets this attempt back.

        On SQLite nobody waits for this write's own commit: it rides the group commit of the
        login's next write (its `lastLoginInstant`, a few statements later in the same turn of the
        event loop), one commit instead of two per login. Lost only if that commit fails, and
        then the attempt stays counted until its window ends -- never a guess given back wrongly.
        """
        values = {"p_pair": pair, "p_account": account}
        if self.inline is not None:
            with self.inline.unit() as tx:
                tx.write(_REFUND, values)
            return
        await self._write(_REFUND, values)

    async def forget(self, owner: str) -> int:
        """Every counter of an account (an administrator unlocked it)."""
        return await self._write(delete(la).where(la.c.account == owner))
