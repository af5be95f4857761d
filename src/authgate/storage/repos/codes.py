from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from authgate.clock import clock
from authgate.storage.db import digest
from authgate.storage.repos.base import Repo
from authgate.storage.schema import authorization_codes as ac


class Codes(Repo):
    table = ac

    async def create(self, code: str, values: dict[str, Any]) -> dict[str, Any]:
        return await self._insert({"code_digest": digest(code), "insert_instant": clock.now_ms(),
                                   "consumed_instant": None, **values})

    async def peek(self, code: str) -> dict[str, Any] | None:
        """The code's row, spent or not, without spending it."""
        return await self._one(select(ac).where(ac.c.code_digest == digest(code)))

    async def consume(self, code: str) -> tuple[dict[str, Any] | None, bool]:
        """Spend a code once. Returns (row, first_use); first_use is False on replay (RFC 6749 4.1.2)."""
        d = digest(code)
        won = await self._write(update(ac).where(ac.c.code_digest == d, ac.c.consumed_instant.is_(None))
                                .values(consumed_instant=clock.now_ms())) == 1
        row = await self._one(select(ac).where(ac.c.code_digest == d))
        return row, won
