"""The admin console's sessions: created after a console login, looked up by cookie digest."""
from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import delete, select, update

from authgate.clock import clock
from authgate.storage.db import digest
from authgate.storage.purge import CUT, Rule, register
from authgate.storage.repos.base import Repo, new_id
from authgate.storage.schema import admin_sessions as s

# The janitor deletes sessions past their absolute lifetime (idle ones are refused, then go too).
register(Rule("admin console sessions", s, lambda t: t.c.expires_instant < CUT))


class AdminSessions(Repo):
    table = s

    async def create(self, token: str, user_id: str, sso_session_id: str | None, ttl_seconds: int) -> dict[str, Any]:
        now = clock.now_ms()
        return await self._insert({
            "id": new_id(), "token_digest": digest(token), "user_id": user_id, "sso_session_id": sso_session_id,
            "csrf_token": secrets.token_urlsafe(32), "insert_instant": now, "last_seen_instant": now,
            "expires_instant": now + ttl_seconds * 1000,
        })

    async def find_live(self, token: str, idle_seconds: int) -> dict[str, Any] | None:
        now = clock.now_ms()
        return await self._one(select(s).where(s.c.token_digest == digest(token), s.c.expires_instant > now,
                                               s.c.last_seen_instant > now - idle_seconds * 1000))

    async def touch(self, session_id: str) -> None:
        await self._write(update(s).where(s.c.id == session_id).values(last_seen_instant=clock.now_ms()))

    async def delete(self, session_id: str) -> bool:
        return await self._write(delete(s).where(s.c.id == session_id)) == 1

    async def delete_for_user(self, user_id: str) -> int:
        return await self._write(delete(s).where(s.c.user_id == user_id))
