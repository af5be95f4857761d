from __future__ import annotations

from typing import Any

from sqlalchemy import case, delete, select, update
from sqlalchemy.exc import IntegrityError

from authgate.clock import clock
from authgate.storage.repos.base import Repo
from authgate.storage.schema import login_failures as lf


class LoginFailures(Repo):
    table = lf

    async def get(self, user_id: str) -> dict[str, Any] | None:
        return await self._one(select(lf).where(lf.c.user_id == user_id))

    async def record(self, user_id: str, window_seconds: int, threshold: int, lockout_seconds: int) -> dict[str, Any]:
        """Count one failure atomically (count = count + 1 in SQL, so concurrent failures are all counted)."""
        now = clock.now_ms()
        window_open = lf.c.window_start_instant > now - window_seconds * 1000
        stmt = update(lf).where(lf.c.user_id == user_id).values(
            count=case((window_open, lf.c.count + 1), else_=1),
            window_start_instant=case((window_open, lf.c.window_start_instant), else_=now),
        )
        for _ in range(3):
            if await self._write(stmt) == 1:
                break
            try:
                async with self.engine.begin() as conn:
                    await conn.execute(lf.insert().values(user_id=user_id, count=1, window_start_instant=now,
                                                          locked_until_instant=None))
                break
            except IntegrityError:
                continue  # another request inserted first: count ours with the update
        await self._write(update(lf).where(lf.c.user_id == user_id, lf.c.count >= threshold)
                          .values(locked_until_instant=now + lockout_seconds * 1000))
        row = await self.get(user_id)
        assert row is not None
        return row

    async def reset(self, user_id: str) -> None:
        await self._write(delete(lf).where(lf.c.user_id == user_id))
