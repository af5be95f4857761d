from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete, select, update

from authgate.clock import clock
from authgate.storage.repos.base import Repo, new_id
from authgate.storage.schema import applications
from authgate.storage.transaction import Tx

_BY_ID = select(applications).where(applications.c.id == bindparam("p_id"))

class Applications(Repo):
    table = applications

    async def create(self, doc: dict[str, Any], app_id: str | None = None, tx: Tx | None = None) -> dict[str, Any]:
        now = clock.now_ms()
        return await self._add({
            "id": app_id or new_id(), "name": doc.get("name", ""), "active": doc.get("active", True), "doc": doc,
            "version": 1, "insert_instant": now, "last_update_instant": now,
        }, tx)

    async def get(self, app_id: str, tx: Tx | None = None) -> dict[str, Any] | None:
        """`tx`: read inside that transaction, its own writes included."""
        if tx is not None:
            return await tx.one(_BY_ID, {"p_id": app_id})
        return await self._one(select(applications).where(applications.c.id == app_id))

    async def list(self) -> list[dict[str, Any]]:
        return await self._all(select(applications).order_by(applications.c.name, applications.c.id))

    async def replace(self, app_id: str, doc: dict[str, Any], expected_version: int, tx: Tx | None = None) -> bool:
        stmt = update(applications).where(applications.c.id == app_id, applications.c.version == expected_version).values(
            name=doc.get("name", ""), active=doc.get("active", True), doc=doc, version=expected_version + 1,
            last_update_instant=clock.now_ms(),
        )
        return await self._change(stmt, tx) == 1

    async def delete(self, app_id: str, tx: Tx | None = None) -> bool:
        return await self._change(delete(applications).where(applications.c.id == app_id), tx) == 1
