from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete, select, update

from authgate.clock import clock
from authgate.storage.repos.base import Repo, new_id
from authgate.storage.transaction import Tx
from authgate.storage.schema import registrations


_ONE = select(registrations).where(registrations.c.user_id == bindparam("p_user"),
                                   registrations.c.application_id == bindparam("p_app"))
_FOR_USER = select(registrations).where(registrations.c.user_id == bindparam("p_user")).order_by(registrations.c.insert_instant)


class Registrations(Repo):
    table = registrations

    @staticmethod
    def _row(user_id: str, application_id: str, doc: dict[str, Any]) -> dict[str, Any]:
        now = clock.now_ms()
        return {"id": doc.get("id") or new_id(), "user_id": user_id, "application_id": application_id, "doc": doc,
                "insert_instant": now, "last_update_instant": now}

    async def create(self, user_id: str, application_id: str, doc: dict[str, Any]) -> dict[str, Any]:
        return await self._insert(self._row(user_id, application_id, doc))

    async def add(self, tx: Tx, user_id: str, application_id: str, doc: dict[str, Any]) -> dict[str, Any]:
        """`create` inside `Database.transaction()`."""
        return await tx.insert(self.table, self._row(user_id, application_id, doc))

    async def get(self, user_id: str, application_id: str, tx: Tx | None = None) -> dict[str, Any] | None:
        """`tx`: read inside that transaction, its own writes included."""
        if tx is not None:
            return await tx.one(_ONE, {"p_user": user_id, "p_app": application_id})
        return await self._one(_ONE, {"p_user": user_id, "p_app": application_id})

    async def for_user(self, user_id: str) -> list[dict[str, Any]]:
        return await self._all(_FOR_USER, {"p_user": user_id})

    async def update_doc(self, user_id: str, application_id: str, doc: dict[str, Any], tx: Tx | None = None) -> bool:
        stmt = update(registrations).where(
            registrations.c.user_id == user_id, registrations.c.application_id == application_id
        ).values(doc=doc, last_update_instant=clock.now_ms())
        return await self._change(stmt, tx) == 1

    async def delete(self, user_id: str, application_id: str, tx: Tx | None = None) -> bool:
        return await self._change(delete(registrations).where(
            registrations.c.user_id == user_id, registrations.c.application_id == application_id), tx) == 1
