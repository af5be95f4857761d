from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, case, delete, select, update
from sqlalchemy.exc import IntegrityError

from authgate.clock import clock
from authgate.storage.repos.base import Repo, first
from authgate.storage.schema import login_failures as lf
from authgate.storage.transaction import Tx


NOBODY = "00000000-0000-0000-0000-000000000000"  # matches no user: ids are random UUIDs


_GET = select(lf).where(lf.c.user_id == bindparam("p_user"))


class LoginFailures(Repo):
    table = lf

    async def get(self, user_id: str) -> dict[str, Any] | None:
        return await self._one(_GET, {"p_user": user_id})

    @staticmethod
    def _count(user_id: str, now: int, window_seconds: int, threshold: int, lockout_seconds: int) -> Any:
        """One statement: count the failure (count = count + 1 in SQL) and lock at the threshold."""
        window_open = lf.c.window_start_instant > now - window_seconds * 1000
        new_count = case((window_open, lf.c.count + 1), else_=1)
        return update(lf).where(lf.c.user_id == user_id).values(
            count=new_count,
            window_start_instant=case((window_open, lf.c.window_start_instant), else_=now),
            locked_until_instant=case((new_count >= threshold, now + lockout_seconds * 1000), else_=lf.c.locked_until_instant),
        ).returning(lf.c.user_id, lf.c.count, lf.c.window_start_instant, lf.c.locked_until_instant)

    async def record(self, user_id: str, window_seconds: int, threshold: int, lockout_seconds: int) -> dict[str, Any]:
        """Count one failure atomically, so concurrent failures are all counted and lock exactly at the threshold."""
        now = clock.now_ms()
        for _ in range(3):
            async with self.engine.begin() as conn:
                row = first(await conn.execute(self._count(user_id, now, window_seconds, threshold, lockout_seconds)))
            if row is not None:
                return row
            values = {"user_id": user_id, "count": 1, "window_start_instant": now,
                      "locked_until_instant": now + lockout_seconds * 1000 if threshold <= 1 else None}
            try:
                async with self.engine.begin() as conn:
                    await conn.execute(lf.insert().values(**values))
                return values
            except IntegrityError:
                continue  # another request inserted first: count ours with the update
        raise RuntimeError(f"could not count a login failure for {user_id}")

    async def reset(self, user_id: str, tx: Tx | None = None) -> None:
        await self._change(delete(lf).where(lf.c.user_id == user_id), tx)

    async def lock(self, user_id: str, until_instant: int, tx: Tx | None = None) -> None:
        """An administrator's lock: the row says locked until then, whatever the failure count.
        Inside `tx` a failed login inserting the row meanwhile fails the transaction (`Conflict`)."""
        now = clock.now_ms()
        if tx is not None:
            if not await tx.execute(update(lf).where(lf.c.user_id == user_id).values(locked_until_instant=until_instant)):
                await tx.insert(lf, {"user_id": user_id, "count": 0, "window_start_instant": now,
                                     "locked_until_instant": until_instant})
            return
        for _ in range(3):
            if await self._write(update(lf).where(lf.c.user_id == user_id).values(locked_until_instant=until_instant)):
                return
            try:
                async with self.engine.begin() as conn:
                    await conn.execute(lf.insert().values(user_id=user_id, count=0, window_start_instant=now,
                                                          locked_until_instant=until_instant))
                return
            except IntegrityError:
                continue  # a failed login inserted the row first: update it
        raise RuntimeError(f"could not lock {user_id}")
