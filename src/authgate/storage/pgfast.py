"""PostgreSQL's fast path: prepared statements on asyncpg directly, for the per-request queries.

SQLAlchemy's async engine adds a greenlet switch, a pool checkout with its own bookkeeping and
a result adaptation to every statement (~0.3 ms of CPU each on the benchmark machine), which a
token refresh pays four times over. The statements the repositories build once at import run
here instead, compiled once by SQLAlchemy for asyncpg (`prepared.py`) and prepared once per
connection by asyncpg's statement cache. Each runs in its own transaction (autocommit), as
`Repo._write` does through SQLAlchemy. Errors come back as SQLAlchemy's exception types, so the
repositories and the HTTP error handlers treat both paths alike.
"""
from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from sqlalchemy.engine import URL, Dialect
from sqlalchemy.exc import DBAPIError, IntegrityError

from authgate.storage.prepared import PreparedCache


class PgFast:
    def __init__(self, url: URL, dialect: Dialect, server_settings: dict[str, str] | None = None,
                 max_size: int = 10) -> None:
        self._dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)  # libpq form
        self._server_settings, self._max_size = server_settings or None, max_size
        self._prepared = PreparedCache(dialect)
        self._pool: asyncpg.Pool | None = None
        self._lock = asyncio.Lock()

    async def _init(self, conn: asyncpg.Connection) -> None:
        # SQLAlchemy's asyncpg dialect decodes JSON in codecs, not result processors: the same here.
        for name in ("json", "jsonb"):
            await conn.set_type_codec(name, encoder=str, decoder=json.loads, schema="pg_catalog")

    async def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            async with self._lock:
                if self._pool is None:
                    self._pool = await asyncpg.create_pool(self._dsn, min_size=1, max_size=self._max_size,
                                                           server_settings=self._server_settings, init=self._init)
        return self._pool

    async def _run(self, method: str, statement: Any, values: dict[str, Any], column_keys: list[str] | None = None,
                   conn: asyncpg.Connection | None = None, keep: bool = True) -> Any:
        prepared = self._prepared.get(statement, column_keys, keep)
        args = prepared.bind(values)
        try:
            if conn is not None:
                return prepared, await getattr(conn, method)(prepared.sql, *args)
            async with (await self.pool()).acquire() as pooled:
                return prepared, await getattr(pooled, method)(prepared.sql, *args)
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise IntegrityError(prepared.sql, values, exc) from exc
        except asyncpg.PostgresError as exc:  # carries .sqlstate, which the HTTP error handler reads
            raise DBAPIError(prepared.sql, values, exc) from exc

    async def one(self, statement: Any, values: dict[str, Any], conn: asyncpg.Connection | None = None) -> dict[str, Any] | None:
        prepared, record = await self._run("fetchrow", statement, values, conn=conn)
        return prepared.row(record) if record is not None else None

    async def all(self, statement: Any, values: dict[str, Any]) -> list[dict[str, Any]]:
        prepared, records = await self._run("fetch", statement, values)
        return [prepared.row(r) for r in records]

    async def write(self, statement: Any, values: dict[str, Any], column_keys: list[str] | None = None,
                    conn: asyncpg.Connection | None = None, keep: bool = True) -> int:
        """Affected row count, from the command tag ("UPDATE 1", "INSERT 0 1"). `conn`: run on
        that connection (inside its transaction) instead of a pooled one in autocommit. `keep`:
        see `PreparedCache.get`."""
        _, status = await self._run("execute", statement, values, column_keys, conn=conn, keep=keep)
        return int(status.rsplit(" ", 1)[-1])

    @asynccontextmanager
    async def exclusive(self, key: int) -> AsyncIterator[Callable[[Any, dict[str, Any]], Awaitable[int]] | None]:
        """`write` on one connection holding session advisory lock `key`, or None if another
        session holds it. Each statement still commits on its own (short transactions)."""
        async with (await self.pool()).acquire() as conn:
            if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", key):
                yield None
                return
            try:
                async def write(statement: Any, values: dict[str, Any]) -> int:
                    return await self.write(statement, values, conn=conn)

                yield write
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", key)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
