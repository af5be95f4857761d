"""SQLite without the thread hops: the `AsyncEngine` surface the repositories use, run inline.

aiosqlite runs every call on a worker thread and SQLAlchemy's async layer adds a greenlet switch
per statement: about a millisecond of CPU per statement on one core, for a local file read of a few
microseconds. Here the same statements run on the event loop thread through SQLAlchemy's
synchronous pysqlite engine, with the same transaction semantics (the `sqlite3` module's own
BEGIN before the first write, COMMIT or ROLLBACK when the block ends).

Why the loop is never stuck on a lock held by this process: nothing here suspends, so a
transaction opened by `begin()` runs to its end before any other task runs, and at most one
connection of this process is ever inside a write transaction. A write can wait only on another
*process* writing the same file (the CLI during `serve`), bounded by `busy_timeout` -- one SQLite
file is one node; several nodes share PostgreSQL, which keeps asyncpg.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import create_engine, pool
from sqlalchemy.engine import Connection, Dialect, Engine, Result


class InlineConnection:
    """`AsyncConnection`'s methods the code base uses, over a synchronous `Connection`."""

    def __init__(self, sync: Connection) -> None:
        self.sync_connection = sync

    @property
    def dialect(self) -> Dialect:
        return self.sync_connection.dialect

    async def execute(self, statement: Any, parameters: Any = None) -> Result[Any]:
        return self.sync_connection.execute(statement, parameters)

    async def scalar(self, statement: Any, parameters: Any = None) -> Any:
        return self.sync_connection.scalar(statement, parameters)

    async def run_sync(self, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        return fn(self.sync_connection, *args, **kw)

    async def commit(self) -> None:
        self.sync_connection.commit()

    async def rollback(self) -> None:
        self.sync_connection.rollback()


class InlineEngine:
    """`begin()`, `connect()` and `dispose()` as on `AsyncEngine`; `sync_engine` for events."""

    def __init__(self, sync_engine: Engine) -> None:
        self.sync_engine = sync_engine

    @property
    def dialect(self) -> Dialect:
        return self.sync_engine.dialect

    @property
    def url(self) -> Any:
        return self.sync_engine.url

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[InlineConnection]:
        with self.sync_engine.connect() as conn:
            yield InlineConnection(conn)

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[InlineConnection]:
        with self.sync_engine.begin() as conn:
            yield InlineConnection(conn)

    async def dispose(self) -> None:
        self.sync_engine.dispose()


def inline_sqlite_engine(url: str) -> InlineEngine:
    """`sqlite+aiosqlite:///path` -> the same file through pysqlite, run on the calling thread.

    The pool never blocks (overflow unbounded): a blocking wait for a free connection on the loop
    thread could only end in a deadlock, and connections are never held across a suspension.
    """
    sync_url = url.replace("sqlite+aiosqlite", "sqlite+pysqlite", 1)
    return InlineEngine(create_engine(sync_url, poolclass=pool.QueuePool, pool_size=4, max_overflow=-1,
                                      connect_args={"check_same_thread": False}))
