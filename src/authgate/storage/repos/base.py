"""Shared plumbing for repositories: a row is returned as a plain dict."""
from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Result
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from authgate.storage.inline import InlineEngine
from authgate.storage.pgfast import PgFast


class Conflict(Exception):
    """A unique constraint refused the write (duplicate email, token, ...)."""


def new_id() -> str:
    return str(uuid.uuid4())


def first(result: Result[Any]) -> dict[str, Any] | None:
    row = result.mappings().first()
    return dict(row) if row is not None else None


def all_rows(result: Result[Any]) -> list[dict[str, Any]]:
    return [dict(r) for r in result.mappings().all()]


class Repo:
    """Hot-path statements are built once at import with `bindparam`s and run with parameters:
    building a statement and its cache key costs about as much as running it on SQLite.

    Such a statement (one passed with `params`) runs prepared on the driver: on SQLite inline
    (`inline.py`, with group commit), on PostgreSQL through asyncpg (`pgfast.py`). Statements
    with literals go through SQLAlchemy.
    """

    table: Table

    def __init__(self, engine: AsyncEngine, pg: PgFast | None = None) -> None:
        self.engine, self.pg = engine, pg
        self._insert_stmt = self.table.insert()
        self._columns = frozenset(c.key for c in self.table.columns)
        self.inline: InlineEngine | None = engine if isinstance(engine, InlineEngine) else None

    async def _insert(self, values: dict[str, Any]) -> dict[str, Any]:
        try:
            if self.inline is not None and values.keys() == self._columns:  # no column defaults to apply
                with self.inline.unit() as tx:
                    tx.write(self.inline.prepared(self._insert_stmt, sorted(values)), values)
                await self.inline.committed()
            elif self.pg is not None and values.keys() == self._columns:
                await self.pg.write(self._insert_stmt, values, sorted(values))
            else:
                async with self.engine.begin() as conn:
                    await conn.execute(self._insert_stmt, values)
        except IntegrityError as exc:
            raise Conflict(str(exc.orig)) from exc
        return values

    async def _one(self, stmt: Any, params: dict[str, Any] | None = None) -> dict[str, Any] | None:
        if self.inline is not None and params is not None:
            return self.inline.read_one(stmt, params)
        if self.pg is not None and params is not None:
            return await self.pg.one(stmt, params)
        async with self.engine.connect() as conn:
            return first(await conn.execute(stmt, params))

    async def _all(self, stmt: Any, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        if self.inline is not None and params is not None:
            return self.inline.read_all(stmt, params)
        if self.pg is not None and params is not None:
            return await self.pg.all(stmt, params)
        async with self.engine.connect() as conn:
            return all_rows(await conn.execute(stmt, params))

    async def _write(self, stmt: Any, params: dict[str, Any] | None = None) -> int:
        """Run one write statement in its own transaction; returns the affected row count."""
        try:
            if self.inline is not None and params is not None:
                with self.inline.unit() as tx:
                    count = tx.write(stmt, params)
                await self.inline.committed()
                return count
            if self.pg is not None and params is not None:
                return await self.pg.write(stmt, params)
            async with self.engine.begin() as conn:
                return (await conn.execute(stmt, params)).rowcount
        except IntegrityError as exc:
            raise Conflict(str(exc.orig)) from exc
