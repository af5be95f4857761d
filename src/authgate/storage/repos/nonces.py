from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, select

from authgate.bounded import BoundedCache
from authgate.clock import clock
from authgate.storage.db import digest
from authgate.storage.repos.base import Conflict, Repo
from authgate.storage.schema import revoked_grants, used_nonces


class Nonces(Repo):
    """A replay cache shared by all nodes (DPoP proof `jti`, one-time values)."""

    table = used_nonces

    async def use_once(self, value: str, ttl_seconds: int) -> bool:
        """True the first time `value` is seen. Expired rows are deleted by the janitor
        (retention.py), in batches, not here on every use: a caller refuses a value outside its
        window before asking, so an expired row still present changes no answer."""
        try:
            await self._insert({"value_digest": digest(value), "expires_instant": clock.now_ms() + ttl_seconds * 1000})
        except Conflict:
            return False
        return True


_REVOKED = select(revoked_grants.c.grant_id).where(revoked_grants.c.grant_id == bindparam("p_id"))


class RevokedGrants(Repo):
    """Grants whose access tokens must no longer validate (code replay, logout).

    Every token validation asks, so answers are cached per process: "revoked" for good (a
    revocation is never undone; the row outlives the grant's tokens), "not revoked" for at most
    `NOT_REVOKED_TTL` seconds. A revocation made through this repository is seen here at once; one
    made by another node (or another Registry on the same database) within that window.
    """

    table = revoked_grants
    NOT_REVOKED_TTL = 1.0
    MAX_CACHED = 50_000  # bounded memory: past it the oldest entries are dropped (a miss re-reads)

    def __init__(self, engine: Any, pg: Any = None, timer: Callable[[], float] = time.monotonic) -> None:
        super().__init__(engine, pg)
        self.timer = timer
        self._revoked = BoundedCache(self.MAX_CACHED)  # grant ids known revoked
        self._checked = BoundedCache(self.MAX_CACHED)  # grant id -> when the database said "not revoked"

    async def revoke(self, grant_id: str, ttl_seconds: int) -> None:
        now = clock.now_ms()
        try:
            await self._insert({"grant_id": grant_id, "revoked_instant": now, "expires_instant": now + ttl_seconds * 1000})
        except Conflict:
            pass  # already revoked
        self._checked.pop(grant_id)
        self._revoked.put(grant_id, None)

    async def is_revoked(self, grant_id: str) -> bool:
        if grant_id in self._revoked:
            return True
        checked = self._checked.get(grant_id)
        if checked is not None and self.timer() - checked < self.NOT_REVOKED_TTL:
            return False
        started = self.timer()
        revoked = await self._one(_REVOKED, {"p_id": grant_id}) is not None
        if revoked:
            self._checked.pop(grant_id)
            self._revoked.put(grant_id, None)
        elif grant_id not in self._revoked:  # a revoke() may have landed while we read
            self._checked.put(grant_id, started)
        return revoked
