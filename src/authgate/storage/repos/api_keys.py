from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from authgate.clock import clock
from authgate.storage.db import digest
from authgate.storage.repos.base import Repo, new_id
from authgate.storage.schema import api_keys
from authgate.storage.transaction import Tx


class ApiKeys(Repo):
    table = api_keys

    async def create(self, key: str, doc: dict[str, Any], key_id: str | None = None, tx: Tx | None = None) -> dict[str, Any]:
        return await self._add({"id": key_id or new_id(), "key_digest": digest(key), "doc": doc,
                                "insert_instant": clock.now_ms()}, tx)

    async def find_by_key(self, key: str) -> dict[str, Any] | None:
        return await self._one(select(api_keys).where(api_keys.c.key_digest == digest(key)))

    async def get(self, key_id: str) -> dict[str, Any] | None:
        return await self._one(select(api_keys).where(api_keys.c.id == key_id))

    async def list(self) -> list[dict[str, Any]]:
        return await self._all(select(api_keys).order_by(api_keys.c.insert_instant))

    async def delete(self, key_id: str, tx: Tx | None = None) -> bool:
        return await self._change(delete(api_keys).where(api_keys.c.id == key_id), tx) == 1
