"""Single-use ids sent by email (FusionAuth's changePasswordId and verificationId).

Stored as SHA-256 digests; `use` spends one atomically (UPDATE ... WHERE used IS NULL AND not
expired), so two concurrent uses of one link give one success.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from authgate.clock import clock
from authgate.storage import purge
from authgate.storage.db import digest
from authgate.storage.repos.base import Repo, first
from authgate.storage.transaction import Tx
from authgate.storage.schema import action_ids as a

PASSWORD, VERIFY = "password", "verify"


class ActionIds(Repo):
    table = a

    @staticmethod
    def _row(value: str, kind: str, user_id: str, ttl_seconds: int, application_id: str | None,
             email: str | None) -> dict[str, Any]:
        now = clock.now_ms()
        return {"id_digest": digest(value), "kind": kind, "user_id": user_id, "application_id": application_id,
                "email": email, "insert_instant": now, "expires_instant": now + ttl_seconds * 1000, "used_instant": None}

    async def create(self, value: str, kind: str, user_id: str, ttl_seconds: int, *,
                     application_id: str | None = None, email: str | None = None) -> None:
        await self._insert(self._row(value, kind, user_id, ttl_seconds, application_id, email))

    async def add(self, tx: Tx, value: str, kind: str, user_id: str, ttl_seconds: int, *,
                  application_id: str | None = None, email: str | None = None) -> None:
        """`create` inside `Database.transaction()`."""
        await tx.insert(a, self._row(value, kind, user_id, ttl_seconds, application_id, email))

    async def find_live(self, value: str, kind: str) -> dict[str, Any] | None:
        """The unused, unexpired id, without spending it (to show the form it opens)."""
        async with self.engine.connect() as conn:
            return first(await conn.execute(select(a).where(
                a.c.id_digest == digest(value), a.c.kind == kind, a.c.used_instant.is_(None),
                a.c.expires_instant > clock.now_ms())))

    async def use(self, value: str, kind: str) -> dict[str, Any] | None:
        """Spend the id; returns its row, or None if unknown, used, expired or of another kind."""
        now = clock.now_ms()
        async with self.engine.begin() as conn:
            spent = (await conn.execute(update(a).where(
                a.c.id_digest == digest(value), a.c.kind == kind, a.c.used_instant.is_(None),
                a.c.expires_instant > now).values(used_instant=now))).rowcount
            if spent != 1:
                return None
            return first(await conn.execute(select(a).where(a.c.id_digest == digest(value))))

    async def revoke_for_user(self, user_id: str, kind: str, tx: Tx | None = None) -> int:
        """Spend every live id of one kind of a user (a reset makes the other reset links void)."""
        now = clock.now_ms()
        return await self._change(update(a).where(a.c.user_id == user_id, a.c.kind == kind,
                                                  a.c.used_instant.is_(None)).values(used_instant=now), tx)



# The janitor (retention.py) drops ids once expired: used or not, they can only be refused.
purge.register(purge.Rule("action ids", a, lambda t: t.c.expires_instant < purge.CUT))
