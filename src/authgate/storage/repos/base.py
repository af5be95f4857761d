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
from authgate.storage.transaction import Conflict, Tx

__all__ = ["Conflict", "Repo", "all_rows", "first", "new_id"]


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
        self.fast: InlineEngine | PgFast | None = self.inline or pg  # the same one/all/write on both

    async def _insert(self, values: dict[str, Any]) -> dict[str, Any]:
        try:
            if self.fast is not None and values.keys() == self._columns:  # no column defaults to apply
                await self.fast.write(self._insert_stmt, values, sorted(values))
            else:
                async with self.engine.begin() as conn:
                    await conn.execute(self._insert_stmt, values)
        except IntegrityError as exc:
            raise Conflict(str(exc.orig)) from exc
        return values

    async def _add(self, values: dict[str, Any], tx: Tx | None) -> dict[str, Any]:
        """`_insert`, or inside `tx` when given (then every column must be given)."""
        return await (tx.insert(self.table, values) if tx is not None else self._insert(values))

    async def _change(self, stmt: Any, tx: Tx | None) -> int:
        """A write statement built for this call: inside `tx` when given (`Database.transaction()`,
        holding a change and its event), else in its own transaction. Affected row count."""
        return await (tx.execute(stmt) if tx is not None else self._write(stmt))

    async def _one(self, stmt: Any, params: dict[str, Any] | None = None) -> dict[str, Any] | None:
        if self.fast is not None and params is not None:
            return await self.fast.one(stmt, params)
        async with self.engine.connect() as conn:
            return first(await conn.execute(stmt, params))

    async def _all(self, stmt: Any, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        if self.fast is not None and params is not None:
            return await self.fast.all(stmt, params)
        async with self.engine.connect() as conn:
            return all_rows(await conn.execute(stmt, params))

    async def _write(self, stmt: Any, params: dict[str, Any] | None = None) -> int:
        """Run one write statement in its own transaction; returns the affected row count."""
        try:
            if self.fast is not None and params is not None:
                return await self.fast.write(stmt, params)
            async with self.engine.begin() as conn:
                return (await conn.execute(stmt, params)).rowcount
        except IntegrityError as exc:
            raise Conflict(str(exc.orig)) from exc
