from __future__ import annotations

import unicodedata
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, or_, select, update

from authgate.clock import clock
from authgate.storage.repos.base import Repo, new_id
from authgate.storage.transaction import Tx
from authgate.storage.schema import registrations, users


_BY_ID = select(users).where(users.c.id == bindparam("p_id"))
# A user and their registration for one application, in one statement (refresh reads both).
_WITH_REGISTRATION = (
    select(users, *(c.label(f"r_{c.name}") for c in registrations.c))
    .select_from(users.outerjoin(registrations, and_(registrations.c.user_id == users.c.id,
                                                     registrations.c.application_id == bindparam("p_app"))))
    .where(users.c.id == bindparam("p_id"))
)
_TOUCH = update(users).where(users.c.id == bindparam("p_id")).values(doc=bindparam("p_doc", type_=users.c.doc.type))
_TOUCH_IF_VERSION = _TOUCH.where(users.c.version == bindparam("p_version"))
_BY_LOGIN_ID = select(users).where(or_(users.c.email == bindparam("p_key"), users.c.username == bindparam("p_key"))).limit(1)


def normalize_login_id(value: str | None) -> str | None:
    """The key an email or username is stored and looked up by: NFKC (compatibility forms such as
    full-width letters become plain ones, UAX #15) and case-folded (Unicode's caseless matching,
    which lower() is not: "ß" and "ss" fold alike), so one address cannot be registered twice."""
    return unicodedata.normalize("NFKC", value.strip()).casefold() if value else None


_norm = normalize_login_id


class Users(Repo):
    table = users

    @staticmethod
    def _row(doc: dict[str, Any], password_hash: str | None, user_id: str | None) -> dict[str, Any]:
        now = clock.now_ms()
        return {
            "id": user_id or new_id(), "email": _norm(doc.get("email")), "username": _norm(doc.get("username")),
            "password_hash": password_hash, "active": doc.get("active", True), "doc": doc, "version": 1,
            "insert_instant": now, "last_update_instant": now,
        }

    async def create(self, doc: dict[str, Any], password_hash: str | None, user_id: str | None = None) -> dict[str, Any]:
        return await self._insert(self._row(doc, password_hash, user_id))

    async def add(self, tx: Tx, doc: dict[str, Any], password_hash: str | None, user_id: str | None = None) -> dict[str, Any]:
        """`create` inside `Database.transaction()`."""
        return await tx.insert(users, self._row(doc, password_hash, user_id))

    async def get(self, user_id: str, tx: Tx | None = None) -> dict[str, Any] | None:
        """`tx`: read inside that transaction, its own writes included."""
        if tx is not None:
            return await tx.one(_BY_ID, {"p_id": user_id})
        return await self._one(_BY_ID, {"p_id": user_id})

    async def get_with_registration(self, user_id: str, application_id: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """(user, their registration for the application or None); (None, None) without the user."""
        row = await self._one(_WITH_REGISTRATION, {"p_id": user_id, "p_app": application_id})
        if row is None:
            return None, None
        registration = {name[2:]: row.pop(name) for name in [k for k in row if k.startswith("r_")]}
        return row, registration if registration["id"] is not None else None

    async def find_by_login_id(self, login_id: str) -> dict[str, Any] | None:
        key = _norm(login_id)
        return await self._one(_BY_LOGIN_ID, {"p_key": key})

    async def find_by(self, *, email: str | None = None, username: str | None = None) -> dict[str, Any] | None:
        if email:
            return await self._one(select(users).where(users.c.email == _norm(email)))
        return await self._one(select(users).where(users.c.username == _norm(username)))

    async def replace(self, user_id: str, doc: dict[str, Any], password_hash: str | None, expected_version: int,
                      tx: Tx | None = None) -> bool:
        """Write a whole user; False when someone else changed it first (optimistic concurrency)."""
        values: dict[str, Any] = {
            "email": _norm(doc.get("email")), "username": _norm(doc.get("username")), "active": doc.get("active", True),
            "doc": doc, "version": expected_version + 1, "last_update_instant": clock.now_ms(),
        }
        if password_hash is not None:
            values["password_hash"] = password_hash
        stmt = update(users).where(users.c.id == user_id, users.c.version == expected_version).values(**values)
        return await self._change(stmt, tx) == 1

    async def set_password_hash(self, user_id: str, password_hash: str) -> None:
        await self._write(update(users).where(users.c.id == user_id).values(password_hash=password_hash))

    async def touch_login(self, user_id: str, doc: dict[str, Any], expected_version: int | None = None) -> None:
        """Store the doc with login bookkeeping; skipped if the user was edited since it was read,
        so an admin's concurrent edit is never overwritten by a stale copy."""
        if expected_version is None:
            await self._write(_TOUCH, {"p_id": user_id, "p_doc": doc})
        else:
            await self._write(_TOUCH_IF_VERSION, {"p_id": user_id, "p_doc": doc, "p_version": expected_version})

    async def delete(self, user_id: str, tx: Tx | None = None) -> bool:
        return await self._change(delete(users).where(users.c.id == user_id), tx) == 1

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
