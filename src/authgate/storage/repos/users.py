from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, or_, select, update

from authgate.clock import clock
from authgate.storage.repos.base import Repo, new_id
from authgate.storage.schema import users


def _norm(value: str | None) -> str | None:
    return value.strip().lower() if value else None


class Users(Repo):
    table = users

    async def create(self, doc: dict[str, Any], password_hash: str | None, user_id: str | None = None) -> dict[str, Any]:
        now = clock.now_ms()
        return await self._insert({
            "id": user_id or new_id(), "email": _norm(doc.get("email")), "username": _norm(doc.get("username")),
            "password_hash": password_hash, "active": doc.get("active", True), "doc": doc, "version": 1,
            "insert_instant": now, "last_update_instant": now,
        })

    async def get(self, user_id: str) -> dict[str, Any] | None:
        return await self._one(select(users).where(users.c.id == user_id))

    async def find_by_login_id(self, login_id: str) -> dict[str, Any] | None:
        key = _norm(login_id)
        return await self._one(select(users).where(or_(users.c.email == key, users.c.username == key)).limit(1))

    async def find_by(self, *, email: str | None = None, username: str | None = None) -> dict[str, Any] | None:
        if email:
            return await self._one(select(users).where(users.c.email == _norm(email)))
        return await self._one(select(users).where(users.c.username == _norm(username)))

    async def replace(self, user_id: str, doc: dict[str, Any], password_hash: str | None, expected_version: int) -> bool:
        """Write a whole user; False when someone else changed it first (optimistic concurrency)."""
        values: dict[str, Any] = {
            "email": _norm(doc.get("email")), "username": _norm(doc.get("username")), "active": doc.get("active", True),
            "doc": doc, "version": expected_version + 1, "last_update_instant": clock.now_ms(),
        }
        if password_hash is not None:
            values["password_hash"] = password_hash
        stmt = update(users).where(users.c.id == user_id, users.c.version == expected_version).values(**values)
        return await self._write(stmt) == 1

    async def set_password_hash(self, user_id: str, password_hash: str) -> None:
        await self._write(update(users).where(users.c.id == user_id).values(password_hash=password_hash))

    async def touch_login(self, user_id: str, doc: dict[str, Any], expected_version: int | None = None) -> None:
        """Store the doc with login bookkeeping; skipped if the user was edited since it was read,
        so an admin's concurrent edit is never overwritten by a stale copy."""
        stmt = update(users).where(users.c.id == user_id)
        if expected_version is not None:
            stmt = stmt.where(users.c.version == expected_version)
        await self._write(stmt.values(doc=doc))

    async def delete(self, user_id: str) -> bool:
        return await self._write(delete(users).where(users.c.id == user_id)) == 1

    async def search(self, text: str | None, ids: list[str] | None, start: int, limit: int) -> tuple[int, list[dict[str, Any]]]:
        cond: Any = True
        if ids:
            cond = users.c.id.in_(ids)
        elif text and "\x00" in text:
            return 0, []  # SQLite's LIKE stops at a NUL (matching everything), PostgreSQL refuses it: nobody matches
        elif text and text.strip() not in ("", "*"):
            like = f"%{text.strip().lower().replace('*', '')}%"
            cond = or_(users.c.email.like(like), users.c.username.like(like))
        async with self.engine.connect() as conn:
            total = (await conn.execute(select(func.count()).select_from(users).where(cond))).scalar_one()
            rows = (await conn.execute(
                select(users).where(cond).order_by(users.c.insert_instant, users.c.id).offset(start).limit(limit)
            )).mappings().all()
        return total, [dict(r) for r in rows]
