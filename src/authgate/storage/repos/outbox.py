"""The mail outbox: rows written with the change that causes them, claimed and sent later.

Claiming takes a lease: rows due now and not leased (or whose lease ran out: the sender that
held it died) get `lease_owner` and `lease_until_instant` in one transaction. On PostgreSQL the
due rows are read `FOR UPDATE SKIP LOCKED`, so several nodes' senders never wait on or take the
same rows; SQLite has one writer at a time, and the lease condition repeated in the UPDATE keeps
a second process from taking rows claimed in between.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, or_, select, update

from authgate.clock import clock
from authgate.storage import purge
from authgate.storage.repos.base import Repo, all_rows, new_id
from authgate.storage.schema import mail_outbox as o


def _claimable(now: int) -> Any:
    return and_(o.c.sent_instant.is_(None), o.c.failed_instant.is_(None), o.c.next_attempt_instant <= now,
                or_(o.c.lease_until_instant.is_(None), o.c.lease_until_instant <= now))


class Outbox(Repo):
    table = o

    async def add(self, recipient: str, subject: str, body_text: str, body_html: str | None, template: str) -> str:
        now = clock.now_ms()
        row_id = new_id()
        await self._insert({
            "id": row_id, "recipient": recipient, "subject": subject, "body_text": body_text, "body_html": body_html,
            "template": template, "attempts": 0, "next_attempt_instant": now, "lease_owner": None,
            "lease_until_instant": None, "sent_instant": None, "failed_instant": None, "last_error": None,
            "insert_instant": now,
        })
        return row_id

    async def claim(self, owner: str, limit: int, lease_ms: int) -> list[dict[str, Any]]:
        """Lease up to `limit` due messages to `owner`; returns them."""
        now = clock.now_ms()
        until = now + lease_ms
        async with self.engine.begin() as conn:
            due = (select(o.c.id).where(_claimable(now)).order_by(o.c.next_attempt_instant).limit(limit)
                   .with_for_update(skip_locked=True))
            ids = [r[0] for r in (await conn.execute(due)).all()]
            if not ids:
                return []
            await conn.execute(update(o).where(o.c.id.in_(ids), _claimable(now))
                               .values(lease_owner=owner, lease_until_instant=until))
            return all_rows(await conn.execute(
                select(o).where(o.c.lease_owner == owner, o.c.lease_until_instant == until, o.c.id.in_(ids))))

    async def mark_sent(self, row_id: str, owner: str) -> None:
        # The body is dropped: it may hold a single-use link, and the message is out.
        await self._write(update(o).where(o.c.id == row_id, o.c.lease_owner == owner).values(
            sent_instant=clock.now_ms(), lease_owner=None, lease_until_instant=None, body_text="", body_html=None,
            attempts=o.c.attempts + 1, last_error=None))

    async def mark_failed(self, row_id: str, owner: str, error: str, retry_at: int | None) -> None:
        """Count a failed attempt; retry at `retry_at`, or give up (None)."""
        values: dict[str, Any] = {"lease_owner": None, "lease_until_instant": None, "attempts": o.c.attempts + 1,
                                  "last_error": error[:500]}
        if retry_at is None:
            values.update(failed_instant=clock.now_ms(), body_text="", body_html=None)
        else:
            values["next_attempt_instant"] = retry_at
        await self._write(update(o).where(o.c.id == row_id, o.c.lease_owner == owner).values(**values))

    async def get(self, row_id: str) -> dict[str, Any] | None:
        async with self.engine.connect() as conn:
            return next(iter(all_rows(await conn.execute(select(o).where(o.c.id == row_id)))), None)

    async def pending_count(self) -> int:
        async with self.engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(o).where(
                o.c.sent_instant.is_(None), o.c.failed_instant.is_(None)))).scalar_one())

    async def next_due(self) -> int | None:
        """When the earliest unsent message is due (ms), for the sender's sleep."""
        async with self.engine.connect() as conn:
            return (await conn.execute(select(func.min(o.c.next_attempt_instant)).where(
                o.c.sent_instant.is_(None), o.c.failed_instant.is_(None)))).scalar()


# The janitor (retention.py) drops a message (or a job) a week after it was sent (run) or given up on.
purge.register(purge.Rule("mail outbox", o, lambda t: or_(t.c.sent_instant < purge.HORIZON,
                                                          t.c.failed_instant < purge.HORIZON)))
