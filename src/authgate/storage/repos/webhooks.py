"""Webhooks and their durable delivery outbox.

A delivery row is claimed by pushing `next_attempt_instant` to the end of a lease in the same
statement that picks it:

    UPDATE webhook_deliveries SET next_attempt_instant = :lease_end, attempts = attempts + 1
    WHERE id IN (SELECT id ... WHERE state = 'pending' AND next_attempt_instant <= :now
                 ORDER BY next_attempt_instant LIMIT :n FOR UPDATE SKIP LOCKED)
    RETURNING ...

On PostgreSQL, SKIP LOCKED lets several nodes claim at once without waiting for, or taking, each
other's rows; on SQLite (which ignores the clause) the statement runs under the database's single
write lock, so no two claims interleave either. A node that dies holding a row never finishes
it: the row is due again when its lease ends, and is delivered again (at-least-once).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete, func, select, update

from authgate.clock import clock
from authgate.storage.purge import Rule, register
from authgate.storage.repos.base import Repo, new_id
from authgate.storage.schema import webhook_attempts, webhook_deliveries, webhooks
from authgate.storage.transaction import Tx

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"

d = webhook_deliveries
_DUE = (select(d.c.id).where(d.c.state == PENDING, d.c.next_attempt_instant <= bindparam("p_now"))
        .order_by(d.c.next_attempt_instant).limit(bindparam("p_limit")).with_for_update(skip_locked=True))
_CLAIM = (update(d).where(d.c.id.in_(_DUE.scalar_subquery()))
          .values(next_attempt_instant=bindparam("p_lease_end"), attempts=d.c.attempts + 1)
          .returning(*d.c))
_FINISH = (update(d).where(d.c.id == bindparam("p_id"), d.c.state == PENDING)
           .values(state=bindparam("p_state"), next_attempt_instant=bindparam("p_next"),
                   done_instant=bindparam("p_done"), last_error=bindparam("p_error")))
_ADD_ATTEMPT = webhook_attempts.insert().values(
    id=bindparam("id"), delivery_id=bindparam("delivery_id"), instant=bindparam("instant"),
    status_code=bindparam("status_code"), error=bindparam("error"), duration_ms=bindparam("duration_ms"))
_ANY_DUE = select(d.c.id).where(d.c.state == PENDING, d.c.next_attempt_instant <= bindparam("p_now")).limit(1)

# Finished deliveries (and their attempts, by cascade) go after the retention period.
WEBHOOK_CUT = bindparam("p_webhook_cut", value=0, type_=d.c.done_instant.type)
register(Rule("webhook deliveries", webhook_deliveries,
              lambda t: (t.c.state != PENDING) & (t.c.done_instant < WEBHOOK_CUT)))


def retention_bound(now: int, days: int) -> dict[str, int]:
    return {"p_webhook_cut": now - days * 86_400_000 if days else 0}


_BY_ID = select(webhooks).where(webhooks.c.id == bindparam("p_id"))


class Webhooks(Repo):
    table = webhooks

    async def create(self, doc: dict[str, Any], webhook_id: str | None = None, tx: Tx | None = None) -> dict[str, Any]:
        now = clock.now_ms()
        return await self._add({"id": webhook_id or new_id(), "doc": doc, "insert_instant": now,
                                "last_update_instant": now}, tx)

    async def get(self, webhook_id: str, tx: Tx | None = None) -> dict[str, Any] | None:
        """`tx`: read inside that transaction, its own writes included."""
        if tx is not None:
            return await tx.one(_BY_ID, {"p_id": webhook_id})
        return await self._one(_BY_ID, {"p_id": webhook_id})

    async def list(self) -> list[dict[str, Any]]:
        return await self._all(select(webhooks).order_by(webhooks.c.insert_instant))

    async def replace(self, webhook_id: str, doc: dict[str, Any], tx: Tx | None = None) -> bool:
        stmt = update(webhooks).where(webhooks.c.id == webhook_id).values(doc=doc, last_update_instant=clock.now_ms())
        return await self._change(stmt, tx) == 1

    async def delete(self, webhook_id: str, tx: Tx | None = None) -> bool:
        return await self._change(delete(webhooks).where(webhooks.c.id == webhook_id), tx) == 1


class Deliveries(Repo):
    table = webhook_deliveries

    async def add(self, webhook_id: str, event_id: str, event_type: str, body: str,
                  tx: "Tx | None" = None) -> dict[str, Any]:
        now = clock.now_ms()
        row = {"id": new_id(), "webhook_id": webhook_id, "event_id": event_id, "event_type": event_type, "body": body,
               "state": PENDING, "attempts": 0, "next_attempt_instant": now, "insert_instant": now,
               "done_instant": None, "last_error": None}
        return await (tx.insert(webhook_deliveries, row) if tx is not None else self._insert(row))

    async def any_due(self) -> bool:
        """A read (no write lock on SQLite) before claiming: an idle outbox costs one index probe."""
        return await self._one(_ANY_DUE, {"p_now": clock.now_ms()}) is not None

    async def claim(self, limit: int, lease_ms: int) -> list[dict[str, Any]]:
        """Up to `limit` due deliveries, each leased to this caller for `lease_ms`."""
        now = clock.now_ms()
        params = {"p_now": now, "p_limit": limit, "p_lease_end": now + lease_ms}
        async with self.engine.begin() as conn:
            return [dict(r) for r in (await conn.execute(_CLAIM, params)).mappings()]

    async def finish(self, delivery_id: str, state: str, *, next_attempt: int | None = None,
                     error: str | None = None) -> bool:
        """Record the outcome of an attempt: delivered, dead, or pending again at `next_attempt`."""
        now = clock.now_ms()
        done = now if state != PENDING else None
        params = {"p_id": delivery_id, "p_state": state, "p_next": next_attempt if next_attempt is not None else now,
                  "p_done": done, "p_error": error[:512] if error else None}
        return await self._write(_FINISH, params) == 1

    async def record_attempt(self, delivery_id: str, status: int | None, error: str | None, duration_ms: int) -> None:
        await self._write(_ADD_ATTEMPT, {"id": new_id(), "delivery_id": delivery_id, "instant": clock.now_ms(),
                                         "status_code": status, "error": error[:512] if error else None,
                                         "duration_ms": duration_ms})

    async def get(self, delivery_id: str) -> dict[str, Any] | None:
        return await self._one(select(d).where(d.c.id == bindparam("p_id")), {"p_id": delivery_id})

    async def for_webhook(self, webhook_id: str, state: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        stmt = select(d).where(d.c.webhook_id == webhook_id)
        if state:
            stmt = stmt.where(d.c.state == state)
        return await self._all(stmt.order_by(d.c.insert_instant.desc()).limit(min(limit, 500)))

    async def for_event(self, event_id: str) -> list[dict[str, Any]]:
        return await self._all(select(d).where(d.c.event_id == event_id).order_by(d.c.insert_instant))

    async def attempts(self, delivery_id: str) -> list[dict[str, Any]]:
        a = webhook_attempts
        return await self._all(select(a).where(a.c.delivery_id == delivery_id).order_by(a.c.instant, a.c.id))

    async def resend(self, delivery_id: str, tx: Tx | None = None) -> bool:
        """Put a delivered or dead delivery back in the queue, due now (the console's "resend")."""
        stmt = update(d).where(d.c.id == delivery_id).values(state=PENDING, next_attempt_instant=clock.now_ms(),
                                                              done_instant=None)
        return await self._change(stmt, tx) == 1

    async def counts(self, webhook_id: str) -> dict[str, int]:
        stmt = select(d.c.state, func.count()).where(d.c.webhook_id == webhook_id).group_by(d.c.state)
        async with self.engine.connect() as conn:
            return {state: n for state, n in (await conn.execute(stmt)).all()}

    async def pending_count(self) -> int:
        async with self.engine.connect() as conn:
            return int((await conn.execute(select(func.count()).where(d.c.state == PENDING))).scalar_one())
