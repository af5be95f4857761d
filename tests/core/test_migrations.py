"""Migrations: `HEAD` matches the newest Alembic revision, and readiness reports a pending one."""
from __future__ import annotations

from sqlalchemy import text

from authgate.storage import migrate


def test_head_constant_is_the_newest_revision():
    from alembic.script import ScriptDirectory

    assert ScriptDirectory.from_config(migrate._config()).get_current_head() == migrate.HEAD


async def test_ready_turns_503_when_a_migration_is_pending(client, registry):
    assert (await client.get("/health/ready")).status_code == 200
    async with registry.db.engine.begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    r = await client.get("/health/ready")
    assert r.status_code == 503 and r.json()["status"] == "migration pending"
