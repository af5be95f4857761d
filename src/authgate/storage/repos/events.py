"""The audit log and the login records: append-only, searched by time range, user and text.

Every search is bounded (a page of at most `MAX_PAGE` rows, an index on each filter) so that a
junk filter costs an index range scan, never a sort of the whole table.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, delete, func, select

from authgate.storage.purge import Rule, register
from authgate.storage.repos.base import Repo, new_id
from authgate.storage.schema import audit_log, login_records

if TYPE_CHECKING:
    from authgate.events import Event
    from authgate.storage.transaction import Tx

# Retention (the janitor, authgate/retention.py): entries older than the configured number of days.
# Without a value (a sweep that does not know these settings) nothing goes: the cut is the epoch.
AUDIT_CUT = bindparam("p_audit_cut", value=0, type_=audit_log.c.insert_instant.type)
LOGINS_CUT = bindparam("p_logins_cut", value=0, type_=login_records.c.instant.type)
register(Rule("audit log", audit_log, lambda t: t.c.insert_instant < AUDIT_CUT))
register(Rule("login records", login_records, lambda t: t.c.instant < LOGINS_CUT))


def retention_bounds(now: int, audit_days: int, login_days: int) -> dict[str, int]:
    """The bound values of the two rules; 0 days keeps everything (a cut at the epoch)."""
    return {"p_audit_cut": now - audit_days * 86_400_000 if audit_days else 0,
            "p_logins_cut": now - login_days * 86_400_000 if login_days else 0}


MAX_PAGE = 500
# `total` counts at most this many matches: an exact count of millions of rows is a full scan
# (Elasticsearch's `track_total_hits` makes the same trade).
MAX_TOTAL = 10_000


@dataclass(frozen=True, slots=True)
class AuditQuery:
    message: str | None = None  # substring, case-insensitive
    user: str | None = None  # insert_user substring, or a user id (exact)
    start: int | None = None  # epoch ms, inclusive
    end: int | None = None  # epoch ms, inclusive
    start_row: int = 0
    limit: int = 25
    newest_first: bool = True


@dataclass(frozen=True, slots=True)
class LoginQuery:
    user_id: str | None = None
    application_id: str | None = None
    start: int | None = None
    end: int | None = None
    start_row: int = 0
    limit: int = 25
    total: bool = False


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _short(value: str | None, size: int) -> str | None:
    return value[:size] if isinstance(value, str) else None


def _capped_count(matching: Any) -> Any:
    return select(func.count()).select_from(matching.limit(MAX_TOTAL).subquery())


class AuditLog(Repo):
    table = audit_log

    async def add(self, event: "Event", insert_user: str, message: str, tx: "Tx | None" = None) -> None:
        """One entry; inside `tx` when given (the id is the database's: every other column is set)."""
        ctx = event.context
        row = {
            "event_id": event.id, "event_type": event.type, "insert_instant": event.instant,
            "insert_user": insert_user[:400], "actor_kind": ctx.actor.kind, "actor_id": _short(ctx.actor.id, 64),
            "user_id": event.user_id, "application_id": event.application_id,
            "ip_address": _short(ctx.ip, 64), "user_agent": _short(ctx.user_agent, 512),
            "message": message, "data": event.payload,
        }
        if tx is not None:
            await tx.insert(audit_log, row)
            return
        async with self.engine.begin() as conn:
            await conn.execute(audit_log.insert(), row)

    async def by_event(self, event_id: str) -> dict[str, Any] | None:
        return await self._one(select(audit_log).where(audit_log.c.event_id == bindparam("p_id")), {"p_id": event_id})

    async def get(self, entry_id: int) -> dict[str, Any] | None:
        return await self._one(select(audit_log).where(audit_log.c.id == bindparam("p_id")), {"p_id": entry_id})

    async def search(self, q: AuditQuery) -> tuple[int, list[dict[str, Any]]]:
        where = []
        if q.message:
            where.append(func.lower(audit_log.c.message).like(_like(q.message), escape="\\"))
        if q.user:
            where.append((audit_log.c.user_id == q.user) | func.lower(audit_log.c.insert_user).like(_like(q.user), escape="\\"))
        if q.start is not None:
            where.append(audit_log.c.insert_instant >= q.start)
        if q.end is not None:
            where.append(audit_log.c.insert_instant <= q.end)
        order = (audit_log.c.insert_instant.desc(), audit_log.c.id.desc()) if q.newest_first else \
            (audit_log.c.insert_instant, audit_log.c.id)
        page = select(audit_log).where(*where).order_by(*order).offset(q.start_row).limit(min(q.limit, MAX_PAGE))
        count = _capped_count(select(audit_log.c.id).where(*where))
        async with self.engine.connect() as conn:
            total = (await conn.execute(count)).scalar_one()
            rows = [dict(r) for r in (await conn.execute(page)).mappings()]
        return total, rows

    async def purge_before(self, instant: int) -> int:
        return await self._write(delete(audit_log).where(audit_log.c.insert_instant < instant))


_ADD_LOGIN = login_records.insert()


class LoginRecords(Repo):
    table = login_records

    async def add(self, event: "Event", login_id: str | None, tx: "Tx | None" = None) -> None:
        ctx = event.context
        # All columns given: the prepared fast path (one group-committed insert per login).
        row = {
            "id": new_id(), "user_id": event.user_id, "application_id": event.application_id,
            "instant": event.instant, "login_id": _short(login_id, 320), "ip_address": _short(ctx.ip, 64),
            "user_agent": _short(ctx.user_agent, 512),
        }
        await (tx.insert(login_records, row) if tx is not None else self._insert(row))

    async def search(self, q: LoginQuery) -> tuple[int | None, list[dict[str, Any]]]:
        where = []
        if q.user_id:
            where.append(login_records.c.user_id == q.user_id)
        if q.application_id:
            where.append(login_records.c.application_id == q.application_id)
        if q.start is not None:
            where.append(login_records.c.instant >= q.start)
        if q.end is not None:
            where.append(login_records.c.instant <= q.end)
        page = (select(login_records).where(*where).order_by(login_records.c.instant.desc(), login_records.c.id)
                .offset(q.start_row).limit(min(q.limit, MAX_PAGE)))
        async with self.engine.connect() as conn:
            total = None
            if q.total:
                total = (await conn.execute(_capped_count(select(login_records.c.id).where(*where)))).scalar_one()
            rows = [dict(r) for r in (await conn.execute(page)).mappings()]
        return total, rows

    async def purge_before(self, instant: int) -> int:
        return await self._write(delete(login_records).where(login_records.c.instant < instant))
