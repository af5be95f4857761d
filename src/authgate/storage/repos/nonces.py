from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from authgate.bounded import BoundedCache
from authgate.clock import clock
from authgate.storage.db import digest
from authgate.storage.repos.base import Conflict, Repo
from authgate.storage.schema import revoked_grants, used_nonces
from authgate.storage.transaction import Tx


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


_LOOKUP_ARITY = 5  # the most keys one access token is checked against (revocation.keys_of)
_LOOKUP = (select(revoked_grants.c.grant_id, revoked_grants.c.revoked_instant)
           .where(revoked_grants.c.grant_id.in_([bindparam(f"p_{i}") for i in range(_LOOKUP_ARITY)])))
_MOVE_CUTOFF = (update(revoked_grants)
                .where(revoked_grants.c.grant_id == bindparam("p_id"), revoked_grants.c.revoked_instant < bindparam("p_now"))
                .values(revoked_instant=bindparam("p_now"), expires_instant=bindparam("p_expires")))


def _upserts(insert: Any) -> tuple[Any, Any]:
    """(revoke, cut_off) as one statement each, for writing inside a transaction: there a refused
    INSERT cannot be caught and followed by an UPDATE, since PostgreSQL aborts the transaction."""
    stmt = insert(revoked_grants).values(grant_id=bindparam("p_id"), revoked_instant=bindparam("p_now"),
                                         expires_instant=bindparam("p_expires"))
    return (stmt.on_conflict_do_nothing(index_elements=[revoked_grants.c.grant_id]),
            stmt.on_conflict_do_update(index_elements=[revoked_grants.c.grant_id],
                                       set_={"revoked_instant": stmt.excluded.revoked_instant,
                                             "expires_instant": stmt.excluded.expires_instant},
                                       where=revoked_grants.c.revoked_instant < stmt.excluded.revoked_instant))


_IN_TX = {"sqlite": _upserts(sqlite.insert), "postgresql": _upserts(postgresql.insert)}


class RevokedGrants(Repo):
    """Revocation records, read on every access-token validation. Two kinds share the table
    (authgate/revocation.py writes both and says which key is which):

    - a revoked id (a grant's `gid`, an SSO session's `sid`): every token carrying it is refused;
    - a cutoff (a key derived from a user or application id): tokens issued at or before
      `revoked_instant` are refused; a later cutoff moves it forward.

    Answers are cached per process for at most `NOT_REVOKED_TTL` seconds, whatever they were; a
    record written through this repository is seen here at once, one written by another node (or
    another Registry on the same database) within that window. A miss on any of a token's keys
    reads all of them in one statement.
    """

    table = revoked_grants
    NOT_REVOKED_TTL = 1.0
    MAX_CACHED = 50_000  # bounded memory: past it the oldest entries are dropped (a miss re-reads)

    def __init__(self, engine: Any, pg: Any = None, timer: Callable[[], float] = time.monotonic) -> None:
        super().__init__(engine, pg)
        self.timer = timer
        self._known = BoundedCache(self.MAX_CACHED)  # key -> (when read, revoked_instant or None)

    def _seen(self, key: str, instant: int, tx: Tx | None) -> None:
        """This node sees its own record at once -- inside a transaction, once it is committed."""
        if tx is None:
            self._known.put(key, (self.timer(), instant))
        else:
            tx.after_commit(lambda: self._known.put(key, (self.timer(), instant)))

    def _in_tx(self) -> tuple[Any, Any]:
        return _IN_TX["sqlite" if self.inline is not None else "postgresql"]

    async def revoke(self, grant_id: str, ttl_seconds: int, tx: Tx | None = None) -> None:
        """Record `grant_id` as revoked for good (kept `ttl_seconds`, past its tokens' expiry)."""
        now = clock.now_ms()
        if tx is not None:
            await tx.write(self._in_tx()[0], {"p_id": grant_id, "p_now": now, "p_expires": now + ttl_seconds * 1000})
        else:
            try:
                await self._insert({"grant_id": grant_id, "revoked_instant": now, "expires_instant": now + ttl_seconds * 1000})
            except Conflict:
                pass  # already revoked
        self._seen(grant_id, now, tx)

    async def cut_off(self, key: str, ttl_seconds: int, at: int | None = None, tx: Tx | None = None) -> int:
        """Move the cutoff named `key` to now, or `at` (never backwards); returns it (epoch ms)."""
        now = clock.now_ms() if at is None else at
        params = {"p_id": key, "p_now": now, "p_expires": now + ttl_seconds * 1000}
        if tx is not None:
            await tx.write(self._in_tx()[1], params)
        elif not await self._write(_MOVE_CUTOFF, params):
            try:
                await self._insert({"grant_id": key, "revoked_instant": now, "expires_instant": params["p_expires"]})
            except Conflict:  # a cutoff exists: another writer got there first, or it is already later
                await self._write(_MOVE_CUTOFF, params)
        self._seen(key, now, tx)
        return now

    async def is_revoked(self, grant_id: str) -> bool:
        return (await self.lookup((grant_id,)))[0] is not None

    async def lookup(self, keys: tuple[str, ...]) -> list[int | None]:
        """The `revoked_instant` of each key's record (None: no record), cached as described above."""
        now = self.timer()
        answers: list[int | None] = []
        stale = False
        for key in keys:
            hit = self._known.get(key)
            if hit is None or now - hit[0] >= self.NOT_REVOKED_TTL:
                stale = True
                break
            answers.append(hit[1])
        if not stale:
            return answers
        params = {f"p_{i}": keys[min(i, len(keys) - 1)] for i in range(_LOOKUP_ARITY)}
        rows = await self._all(_LOOKUP, params)
        found = {r["grant_id"]: r["revoked_instant"] for r in rows}
        answers = []
        for key in keys:
            hit = self._known.get(key)
            if hit is not None and hit[0] >= now:  # stored while we read (a write here): newer than our answer
                answers.append(hit[1])
                continue
            self._known.put(key, (now, found.get(key)))
            answers.append(found.get(key))
        return answers
