"""What the admin console's overview counts: logins per hour and the latest failed logins.

Both are bounded: one grouped count over the last hours (the login records' instant index), and
the newest few failure entries of the audit log within the same window."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from authgate.storage.repos.base import Repo
from authgate.storage.schema import audit_log, login_records

HOUR_MS = 3_600_000
LOGIN_FAILED = "user.login.failed"  # events.USER_LOGIN_FAILED; storage does not import the core


class ConsoleStats(Repo):
    table = login_records

    async def logins_per_hour(self, since_instant: int) -> dict[int, int]:
        """{hour number (instant // 1 h): successful logins} since then."""
        hour = login_records.c.instant // HOUR_MS  # floor division on both databases
        stmt = (select(hour.label("hour"), func.count().label("n")).where(login_records.c.instant >= since_instant)
                .group_by(hour))
        async with self.engine.connect() as conn:
            return {int(r.hour): int(r.n) for r in await conn.execute(stmt)}

    async def recent_failures(self, since_instant: int, limit: int = 10) -> list[dict[str, Any]]:
        stmt = (select(audit_log).where(audit_log.c.event_type == LOGIN_FAILED, audit_log.c.insert_instant >= since_instant)
                .order_by(audit_log.c.insert_instant.desc()).limit(limit))
        async with self.engine.connect() as conn:
            return [dict(r) for r in (await conn.execute(stmt)).mappings()]
