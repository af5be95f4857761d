"""`Database.transaction()`: writes that stand or fall together, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import bindparam, select, update

from authgate.registry import Registry
from authgate.storage.repos import Conflict
from authgate.storage.schema import users

_SELECT = select(users).where(users.c.id == bindparam("p_id"))
_RENAME = update(users).where(users.c.id == bindparam("p_id")).values(email=bindparam("p_email"))


class Boom(Exception):
    pass


async def test_a_block_that_raises_stores_nothing(registry: Registry) -> None:
    kept = await registry.db.users.create({"email": "kept@example.com"}, None)
    with pytest.raises(Boom):
        async with registry.db.transaction() as tx:
            await registry.db.users.add(tx, {"email": "a@example.com"}, None)
            assert await tx.write(_RENAME, {"p_id": kept["id"], "p_email": "renamed@example.com"}) == 1
            raise Boom
    assert await registry.db.users.find_by(email="a@example.com") is None
    assert (await registry.db.users.get(kept["id"]))["email"] == "kept@example.com"


async def test_a_conflict_undoes_the_earlier_writes_of_the_block(registry: Registry) -> None:
    await registry.db.users.create({"email": "taken@example.com"}, None)
    with pytest.raises(Conflict):
        async with registry.db.transaction() as tx:
            await registry.db.users.add(tx, {"email": "first@example.com"}, None)
            await registry.db.users.add(tx, {"email": "taken@example.com"}, None)
    assert await registry.db.users.find_by(email="first@example.com") is None
    # and the database takes writes again at once
    assert (await registry.db.users.create({"email": "first@example.com"}, None))["email"] == "first@example.com"


async def test_a_block_that_returns_is_committed_and_read_back(registry: Registry) -> None:
    async with registry.db.transaction() as tx:
        row = await registry.db.users.add(tx, {"email": "new@example.com"}, None)
        assert (await tx.one(_SELECT, {"p_id": row["id"]}))["email"] == "new@example.com"  # its own write
    assert (await registry.db.users.get(row["id"]))["email"] == "new@example.com"


async def test_sqlite_refuses_a_unit_inside_a_block(registry: Registry, backend: str) -> None:
    """On SQLite a block shares the writing connection with every request: awaiting another write
    inside it would put that write into the block's transaction. It is refused, not mixed up."""
    if backend != "sqlite":
        pytest.skip("PostgreSQL gives each block its own connection")
    with pytest.raises(RuntimeError, match="inside another"):
        async with registry.db.transaction() as tx:
            await registry.db.users.add(tx, {"email": "outer@example.com"}, None)
            await registry.db.users.create({"email": "inner@example.com"}, None)
    assert await registry.db.users.find_by(email="outer@example.com") is None
    assert await registry.db.users.find_by(email="inner@example.com") is None
    assert await registry.db.users.create({"email": "after@example.com"}, None)
