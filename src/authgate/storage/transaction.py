"""`Database.transaction()`: several writes that stand or fall together, on either database.

    async with db.transaction() as tx:
        await tx.insert(users, row)          # full rows: every column given
        await tx.write(STATEMENT, {"p_id": ...})

Statements are the repositories' prepared ones (built once with `bindparam`s), run on the fast
path of each backend, and a unique-constraint refusal raises `Conflict` as the repositories do.
When the block raises, nothing of it is stored; when it returns, all of it is committed before
the caller goes on (and then the `after_commit` actions run).

- SQLite: a unit of `InlineEngine.unit()`, so it joins the group commit of its loop turn
  (`inline.py`). Its statements run inline and never suspend; the block must not await anything
  else (a password hash, an HTTP call) -- another request's writes would land inside it.
  `InlineEngine` refuses a unit opened inside another, so such a mistake fails loudly.
- PostgreSQL: one pooled asyncpg connection inside `BEGIN ... COMMIT` (READ COMMITTED).
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from sqlalchemy import Table
from sqlalchemy.exc import IntegrityError

from authgate.storage.inline import InlineEngine, Transaction
from authgate.storage.pgfast import PgFast


class Conflict(Exception):
    """A unique constraint refused the write (duplicate email, token, ...)."""


class Tx:
    """The statements of one transaction; the same methods on both databases."""

    def __init__(self, sqlite: Transaction | None = None, pg: PgFast | None = None,
                 conn: asyncpg.Connection | None = None) -> None:
        self._sqlite, self._pg, self._conn = sqlite, pg, conn
        self._after: list[Callable[[], None]] = []

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run `action` once the transaction is committed (never if it is rolled back): for
        process-local caches that must not learn of writes that may still be undone."""
        self._after.append(action)

    async def one(self, statement: Any, values: dict[str, Any]) -> dict[str, Any] | None:
        if self._sqlite is not None:
            return self._sqlite.one(statement, values)
        assert self._pg is not None
        return await self._pg.one(statement, values, conn=self._conn)

    async def write(self, statement: Any, values: dict[str, Any], column_keys: list[str] | None = None,
                    keep: bool = True) -> int:
        """Affected row count; `Conflict` if a unique constraint refused it."""
        try:
            if self._sqlite is not None:
                return self._sqlite.write(statement, values, column_keys, keep)
            assert self._pg is not None
            return await self._pg.write(statement, values, column_keys, conn=self._conn, keep=keep)
        except IntegrityError as exc:
            raise Conflict(str(exc.orig)) from exc

    async def execute(self, statement: Any) -> int:
        """A statement built for this call, its values given as literals (`update(t).where(t.c.id
        == x)`): compiled for it and not kept in the prepared caches, which it would only fill."""
        return await self.write(statement, {}, keep=False)

    async def insert(self, table: Table, row: dict[str, Any]) -> dict[str, Any]:
        """One row with every column given (no column defaults are applied on the fast path)."""
        await self.write(_insert_statement(table), row, sorted(row))
        return row


_INSERTS: dict[Table, Any] = {}


def _insert_statement(table: Table) -> Any:
    # One statement object per table for the process: the prepared caches key on its identity.
    statement = _INSERTS.get(table)
    if statement is None:
        statement = _INSERTS[table] = table.insert()
    return statement


@asynccontextmanager
async def transaction(engine: Any, pg: PgFast | None) -> AsyncIterator[Tx]:
    if isinstance(engine, InlineEngine):
        with engine.unit() as unit:
            tx = Tx(sqlite=unit)
            yield tx
        await engine.committed()
    else:
        assert pg is not None, "PostgreSQL without its fast path"
        async with (await pg.pool()).acquire() as conn, conn.transaction():
            tx = Tx(pg=pg, conn=conn)
            yield tx
    for action in tx._after:
        action()
