from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from authgate.clock import clock
from authgate.storage.db import digest
from authgate.storage.repos.base import Conflict, Repo
from authgate.storage.schema import revoked_grants, used_nonces


class Nonces(Repo):
    """A replay cache shared by all nodes (DPoP proof `jti`, one-time values)."""

    table = used_nonces

    async def use_once(self, value: str, ttl_seconds: int) -> bool:
        now = clock.now_ms()
        try:
            async with self.engine.begin() as conn:
                await conn.execute(delete(used_nonces).where(used_nonces.c.expires_instant < now))
                await conn.execute(used_nonces.insert().values(value_digest=digest(value),
                                                               expires_instant=now + ttl_seconds * 1000))
        except IntegrityError:
            return False
        return True


class RevokedGrants(Repo):
    """Grants whose access tokens must no longer validate (code replay, logout)."""

    table = revoked_grants

    async def revoke(self, grant_id: str, ttl_seconds: int) -> None:
        now = clock.now_ms()
        try:
            await self._insert({"grant_id": grant_id, "revoked_instant": now, "expires_instant": now + ttl_seconds * 1000})
        except Conflict:
            pass  # already revoked

    async def is_revoked(self, grant_id: str) -> bool:
        return await self._one(select(revoked_grants.c.grant_id).where(revoked_grants.c.grant_id == grant_id)) is not None
