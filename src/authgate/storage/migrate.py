"""Schema migrations (Alembic), applied by `authgate migrate` and by `serve` on start-up.

Readiness means: the database answers and no migration is pending (Hydra's rule).
Alembic itself is imported only when there is something to migrate: on an up-to-date database
start-up reads one row, which keeps `serve` and `demo` quick to start.
"""
from __future__ import annotations

import asyncio
import weakref
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

_DIR = Path(__file__).parent / "migrations"
# The newest revision in migrations/versions; tests/core/test_migrations.py keeps the two equal.
HEAD = "0070_security"

_locks: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock]" = weakref.WeakKeyDictionary()


def _config(connection: Any = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def _lock() -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    if loop not in _locks:
        _locks[loop] = asyncio.Lock()
    return _locks[loop]


async def current_revision(conn: AsyncConnection) -> str | None:
    if not await conn.run_sync(lambda c: inspect(c).has_table("alembic_version")):
        return None
    return (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()


def _upgrade(sync_conn: Any) -> None:
    from alembic import command

    command.upgrade(_config(sync_conn), "head")


async def upgrade(engine: AsyncEngine) -> None:
    # Alembic keeps its migration context in module globals: two upgrades interleaved in one
    # event loop (two IdPs in one process) would run against each other's connection.
    async with _lock(), engine.begin() as conn:
        # PostgreSQL: serialise concurrent `serve` start-ups of several nodes on one database.
        if conn.dialect.name == "postgresql":
            await conn.execute(text("SELECT pg_advisory_xact_lock(7263514)"))
        if await current_revision(conn) != HEAD:
            await conn.run_sync(_upgrade)


async def pending(engine: AsyncEngine) -> bool:
    async with engine.connect() as conn:
        return await current_revision(conn) != HEAD
