"""Schema migrations (Alembic), applied by `authgate migrate` and by `serve` on start-up.

Readiness means: the database answers and no migration is pending (Hydra's rule).
"""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

_DIR = Path(__file__).parent / "migrations"


def _config(connection: Any = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_DIR))
    cfg.attributes["connection"] = connection
    return cfg


_upgrading = asyncio.Lock()


async def upgrade(engine: AsyncEngine) -> None:
    # Alembic keeps its migration context in module globals: two upgrades interleaved in one
    # event loop (two IdPs in one process) would run against each other's connection.
    async with _upgrading, engine.begin() as conn:
        # PostgreSQL: serialise concurrent `serve` start-ups of several nodes on one database.
        if conn.dialect.name == "postgresql":
            from sqlalchemy import text
            await conn.execute(text("SELECT pg_advisory_xact_lock(7263514)"))
        await conn.run_sync(lambda sync_conn: command.upgrade(_config(sync_conn), "head"))


async def pending(engine: AsyncEngine) -> bool:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    async with engine.connect() as conn:
        current = await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())
    return current != head
