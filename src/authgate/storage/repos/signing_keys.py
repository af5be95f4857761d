from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select, update

from authgate.clock import clock
from authgate.storage.repos.base import Repo
from authgate.storage.schema import signing_keys
from authgate.storage.transaction import Tx


class SigningKeys(Repo):
    table = signing_keys

    async def create(self, values: dict[str, Any], tx: Tx | None = None) -> dict[str, Any]:
        return await self._add({"insert_instant": clock.now_ms(), "retire_instant": None, **values}, tx)

    async def get(self, kid: str) -> dict[str, Any] | None:
        return await self._one(select(signing_keys).where(signing_keys.c.id == kid))

    async def list(self) -> list[dict[str, Any]]:
        return await self._all(select(signing_keys).order_by(signing_keys.c.insert_instant))

    async def published(self) -> list[dict[str, Any]]:
        """Keys whose tokens may still be alive: never retired, or retired but not yet past it."""
        now = clock.now_ms()
        return await self._all(select(signing_keys).where(
            or_(signing_keys.c.retire_instant.is_(None), signing_keys.c.retire_instant > now)
        ).order_by(signing_keys.c.insert_instant))

    async def retire(self, kid: str, at_instant: int, tx: Tx | None = None) -> bool:
        return await self._change(update(signing_keys).where(
            signing_keys.c.id == kid, signing_keys.c.retire_instant.is_(None)).values(retire_instant=at_instant), tx) == 1

    async def delete(self, kid: str, tx: Tx | None = None) -> bool:
        return await self._change(delete(signing_keys).where(signing_keys.c.id == kid), tx) == 1
