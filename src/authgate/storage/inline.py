"""SQLite without the thread hops: the `AsyncEngine` surface the repositories use, run inline.

aiosqlite runs every call on a worker thread and SQLAlchemy's async layer adds a greenlet switch
per statement: about a millisecond of CPU per statement on one core, for a local file read of a few
microseconds. Here the same statements run on the event loop thread through SQLAlchemy's
synchronous pysqlite engine, with the same transaction semantics (the `sqlite3` module's own
BEGIN before the first write, COMMIT or ROLLBACK when the block ends).

Why the loop is never stuck on a lock held by this process: nothing here suspends, so a
transaction opened by `begin()` runs to its end before any other task runs; the one transaction
that does stay open across tasks, the pending group commit of `unit()`, is committed first by
`begin()`. So at most one connection of this process is ever inside a write transaction. A write
can wait only on another *process* writing the same file (the CLI during `serve`), bounded by
`busy_timeout` -- one SQLite file is one node; several nodes share PostgreSQL.
"""
from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from sqlalchemy import URL, create_engine, pool
from sqlalchemy.engine import Connection, Dialect, Engine, Result
from sqlalchemy.exc import IntegrityError

from authgate.storage.checkpoint import Checkpointer
from authgate.storage.prepared import Prepared, PreparedCache


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


class Transaction:
    """Statements run on one raw `sqlite3` connection inside one transaction."""

    def __init__(self, engine: "InlineEngine", conn: sqlite3.Connection) -> None:
        self._engine, self._conn = engine, conn

    def _run(self, statement: Any, values: dict[str, Any], column_keys: list[str] | None = None,
             keep: bool = True) -> tuple[Prepared, sqlite3.Cursor]:
        prepared = self._engine.prepared(statement, column_keys, keep)
        try:
            return prepared, self._conn.execute(prepared.sql, prepared.bind(values))
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(prepared.sql, values, exc) from exc

    def one(self, statement: Any, values: dict[str, Any]) -> dict[str, Any] | None:
        prepared, cursor = self._run(statement, values)
        raw = cursor.fetchone()
        return prepared.row(raw) if raw is not None else None

    def all(self, statement: Any, values: dict[str, Any]) -> list[dict[str, Any]]:
        prepared, cursor = self._run(statement, values)
        return [prepared.row(raw) for raw in cursor.fetchall()]

    def write(self, statement: Any, values: dict[str, Any], column_keys: list[str] | None = None,
              keep: bool = True) -> int:
        """`column_keys`: for an INSERT, the columns given (the statement names them all). `keep`:
        see `PreparedCache.get`."""
        return self._run(statement, values, column_keys, keep)[1].rowcount


class InlineEngine:
    """`begin()`, `connect()` and `dispose()` as on `AsyncEngine`; `sync_engine` for events.

    Statements built once at import (`bindparam`s, no literals) can also run prepared on raw
    `sqlite3` connections held for the purpose (`one`, `all`, `write`: the interface of
    `pgfast.PgFast`): SQLAlchemy's execution path costs ~70 us a statement here against ~10 us
    for the statement itself, and the hot requests (token refresh, login) run several. Writes go
    through `unit()` and its group commit on one connection, reads through another.
    """

    def __init__(self, sync_engine: Engine) -> None:
        self.sync_engine = sync_engine
        self._prepared = PreparedCache(sync_engine.dialect)
        self._raw: Any = None  # the connection that writes (units, group commits)
        self._raw_reader: Any = None
        self._group: asyncio.Future[None] | None = None
        self._in_unit = False  # a unit is open: one opened now would land inside it
        path = sync_engine.url.database
        self._checkpointer = Checkpointer(path) if path and path != ":memory:" else None

    def prepared(self, statement: Any, column_keys: list[str] | None = None, keep: bool = True) -> Prepared:
        return self._prepared.get(statement, column_keys, keep)

    def _connection(self) -> sqlite3.Connection:
        if self._raw is None:
            self._raw = self.sync_engine.raw_connection()  # from the pool: the pragmas are applied
        return self._raw.driver_connection

    def _reader(self) -> sqlite3.Connection:
        # Not the writing connection: a read must see the last committed state, never the units
        # of a group that has not committed yet (and may fail to).
        if self._raw_reader is None:
            self._raw_reader = self.sync_engine.raw_connection()
        return self._raw_reader.driver_connection

    async def one(self, statement: Any, values: dict[str, Any]) -> dict[str, Any] | None:
        """Outside any transaction: SQLite reads the last committed state; nothing to commit."""
        return Transaction(self, self._reader()).one(statement, values)

    async def all(self, statement: Any, values: dict[str, Any]) -> list[dict[str, Any]]:
        return Transaction(self, self._reader()).all(statement, values)

    async def write(self, statement: Any, values: dict[str, Any], column_keys: list[str] | None = None) -> int:
        """One statement as its own unit; returns the affected row count once it is committed."""
        with self.unit() as tx:
            count = tx.write(statement, values, column_keys)
        await self.committed()
        return count

    @contextmanager
    def unit(self) -> Iterator[Transaction]:
        """Writes that stand or fall together, committed with the other units of this loop turn.

        Group commit: a commit (writing the pages to the log) costs more than the statements of a
        token rotation, and the requests that arrived together can share one. The block must not
        suspend (it holds the connection); await `committed()` after it before answering anyone.
        A unit that raises is rolled back alone (a savepoint); the others stand.
        """
        if self._in_unit:
            # Only possible if a unit suspended (awaited something) midway: its savepoint would
            # take in this one's writes. A programming error, refused rather than mixed up.
            raise RuntimeError("a unit of work was opened inside another one (did a unit await?)")
        conn = self._connection()
        if self._checkpointer is not None:
            self._checkpointer.start()  # first write: from now on the log grows
        alone = self._group is None  # no other unit is waiting for a commit
        if not conn.in_transaction:
            conn.execute("BEGIN")
        if not alone:
            conn.execute("SAVEPOINT unit")
        self._in_unit = True
        try:
            yield Transaction(self, conn)
        except BaseException as exc:
            self._in_unit = False
            if alone:
                conn.rollback()  # end the transaction and its write lock now
            elif not conn.in_transaction:
                # Disk full, I/O error, out of memory: SQLite rolled back the whole transaction,
                # the group's earlier units with it. Their waiters must hear it, not "committed".
                self._fail_group(exc)
            else:
                conn.execute("ROLLBACK TO unit")
                conn.execute("RELEASE unit")
            raise
        self._in_unit = False
        if not alone:
            conn.execute("RELEASE unit")
        if self._group is None:
            loop = asyncio.get_running_loop()
            self._group = loop.create_future()
            loop.call_soon(self._flush)

    async def committed(self) -> None:
        """Wait for the group commit of the units run so far (raises if it failed)."""
        if self._group is not None:
            # shield: one waiter's cancellation must not cancel the commit the others wait for
            await asyncio.shield(self._group)

    def _fail_group(self, exc: BaseException) -> None:
        group, self._group = self._group, None
        if group is not None and not group.done():
            group.set_exception(exc)
            group.exception()  # marked retrieved: no warning if every waiter was cancelled

    def _flush(self) -> None:
        if self._raw is None or self._group is None:
            return
        conn = self._raw.driver_connection
        if not conn.in_transaction:  # SQLite rolled it back (see unit()): nothing of it is stored
            self._fail_group(sqlite3.OperationalError("the transaction was rolled back before its commit"))
            return
        try:
            conn.commit()
        except Exception as exc:  # e.g. disk full: every unit of the group is lost, and told so
            conn.rollback()
            self._fail_group(exc)
            return
        group, self._group = self._group, None
        if not group.done():
            group.set_result(None)

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
        # Another connection is about to write: the pending group must commit first, or its lock
        # would make this write wait out busy_timeout on the very thread that could release it.
        self._flush()
        if self._checkpointer is not None:
            self._checkpointer.start()
        with self.sync_engine.begin() as conn:
            yield InlineConnection(conn)

    async def dispose(self) -> None:
        self._flush()
        if self._checkpointer is not None:
            self._checkpointer.stop()
        for raw in (self._raw, self._raw_reader):
            if raw is not None:
                raw.close()
        self._raw = self._raw_reader = None
        self.sync_engine.dispose()


def inline_sqlite_engine(url: URL) -> InlineEngine:
    """An SQLite file through pysqlite, run on the calling thread.

    The pool never blocks (overflow unbounded): a blocking wait for a free connection on the loop
    thread could only end in a deadlock, and connections are never held across a suspension.
    """
    return InlineEngine(create_engine(url, poolclass=pool.QueuePool, pool_size=4, max_overflow=-1,
                                      connect_args={"check_same_thread": False}))
