from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from authgate.clock import clock
from authgate.storage.db import digest
from authgate.storage.repos.base import Repo
from authgate.storage.schema import sso_sessions as ss
from authgate.storage.transaction import Tx


class SsoSessions(Repo):
    table = ss

    async def create(self, session_id: str, cookie_value: str, user_id: str, auth_instant: int, ttl_seconds: int,
                     amr: str = "pwd") -> dict[str, Any]:
        now = clock.now_ms()
        return await self._insert({
            "id": session_id, "cookie_digest": digest(cookie_value), "user_id": user_id, "auth_instant": auth_instant,
            "insert_instant": now, "expires_instant": now + ttl_seconds * 1000, "revoked_instant": None, "amr": amr,
        })

    async def find_live(self, cookie_value: str) -> dict[str, Any] | None:
        return await self._one(select(ss).where(
            ss.c.cookie_digest == digest(cookie_value), ss.c.revoked_instant.is_(None),
            ss.c.expires_instant > clock.now_ms()))

    async def get(self, session_id: str) -> dict[str, Any] | None:
        return await self._one(select(ss).where(ss.c.id == session_id))

    async def revoke(self, session_id: str, tx: Tx | None = None) -> bool:
        return await self._change(update(ss).where(ss.c.id == session_id, ss.c.revoked_instant.is_(None))
                                  .values(revoked_instant=clock.now_ms()), tx) == 1

    async def revoke_for_user(self, user_id: str, *, keep_session_id: str | None = None, tx: Tx | None = None) -> int:
        stmt = update(ss).where(ss.c.user_id == user_id, ss.c.revoked_instant.is_(None))
        if keep_session_id:
            stmt = stmt.where(ss.c.id != keep_session_id)
        return await self._change(stmt.values(revoked_instant=clock.now_ms()), tx)

    async def live_for_user(self, user_id: str) -> list[dict[str, Any]]:
        return await self._all(select(ss).where(ss.c.user_id == user_id, ss.c.revoked_instant.is_(None),
                                                ss.c.expires_instant > clock.now_ms()).order_by(ss.c.insert_instant))
