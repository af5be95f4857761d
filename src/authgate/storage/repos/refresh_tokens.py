from __future__ import annotations

from typing import Any

from sqlalchemy import and_, bindparam, or_, select, update

from authgate.clock import clock
from authgate.storage.db import digest
from authgate.storage.repos.base import Repo
from authgate.storage.transaction import Tx, transaction
from authgate.storage.schema import refresh_tokens as rt, registrations, users

_LIVE = and_(rt.c.revoked_instant.is_(None), rt.c.used_instant.is_(None))
_BY_DIGEST = select(rt).where(rt.c.token_digest == bindparam("p_digest"))
# A token with its user and the user's registration for the token's application: what a refresh
# needs, in one statement. Token columns are prefixed t_, registration columns r_.
_WITH_HOLDER = (
    select(*(c.label(f"t_{c.name}") for c in rt.c), users, *(c.label(f"r_{c.name}") for c in registrations.c))
    .select_from(rt.join(users, users.c.id == rt.c.user_id)
                 .outerjoin(registrations, and_(registrations.c.user_id == rt.c.user_id,
                                                registrations.c.application_id == rt.c.application_id)))
    .where(rt.c.token_digest == bindparam("p_digest"))
)
_TOKEN_COLUMNS = tuple(c.name for c in rt.c)
_USER_COLUMNS = tuple(c.name for c in users.c)
_REGISTRATION_COLUMNS = tuple(c.name for c in registrations.c)
_CONSUME = update(rt).where(rt.c.id == bindparam("p_id"), _LIVE).values(used_instant=bindparam("p_now"))
# PostgreSQL: spend and store the successor in one statement (a data-modifying CTE), so both or
# neither happen, in one round trip. The successor's values are the s_* parameters; it is
# inserted only if the spend matched (one row from `spent`).
_SPENT = _CONSUME.returning(rt.c.id).cte("spent")
_ROTATE = rt.insert().from_select(
    list(_TOKEN_COLUMNS),
    select(*(bindparam(f"s_{c.name}", type_=c.type) for c in rt.c)).select_from(_SPENT))
# A no-op UPDATE: it takes the row lock (waiting out a concurrent revocation of the family) and
# RETURNING reads the row as that revocation left it.
_LOCK_AND_READ = (update(rt).where(rt.c.id == bindparam("p_id")).values(used_instant=rt.c.used_instant)
                  .returning(rt.c.revoked_instant))


class RefreshTokens(Repo):
    table = rt

    async def create(self, token: str, values: dict[str, Any]) -> dict[str, Any]:
        return await self._insert(self._row(token, values))

    @staticmethod
    def _row(token: str, values: dict[str, Any]) -> dict[str, Any]:
        return {"token_digest": digest(token), "used_instant": None, "revoked_instant": None, **values}

    async def rotate(self, token_id: str, successor: str, values: dict[str, Any]) -> dict[str, Any] | None:
        """Spend live token `token_id` and store `successor` in its place; None when the token was
        no longer live (another use won the race), and then nothing is stored.

        A replay of the spent token revokes the family (`revoke_family`); the successor must not
        survive that whichever runs first.
        """
        row = self._row(successor, values)
        spend = {"p_id": token_id, "p_now": clock.now_ms()}
        if self.inline is not None:
            # One SQLite transaction, group-committed: writers are serialised, so a revocation of
            # the family runs wholly before it (the spend finds nothing) or wholly after (and sees
            # the successor).
            async with transaction(self.engine, None) as tx:
                won = await tx.write(_CONSUME, spend) == 1
                if won:
                    await tx.insert(rt, row)
            return row if won else None
        # PostgreSQL: one statement spends and inserts (atomic, like SQLite's transaction). Under
        # READ COMMITTED a revocation of the family that started before it committed, and waited on
        # the spent row's lock, cannot see the successor: look at the spent row again afterwards.
        won = await self._write(_ROTATE, {**spend, **{f"s_{k}": v for k, v in row.items()}}) == 1
        if not won:
            return None
        if await self.revoked_after_use(token_id):
            await self.revoke(row["id"])
        return row

    async def find_by_token(self, token: str) -> dict[str, Any] | None:
        return await self._one(_BY_DIGEST, {"p_digest": digest(token)})

    async def find_with_holder(self, token: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None] | None:
        """(token row, its user, the user's registration for its application or None), or None."""
        joined = await self._one(_WITH_HOLDER, {"p_digest": digest(token)})
        if joined is None:
            return None
        token_row = {name: joined[f"t_{name}"] for name in _TOKEN_COLUMNS}
        user = {name: joined[name] for name in _USER_COLUMNS}
        registration = {name: joined[f"r_{name}"] for name in _REGISTRATION_COLUMNS}
        return token_row, user, registration if registration["id"] is not None else None

    async def get(self, token_id: str) -> dict[str, Any] | None:
        return await self._one(select(rt).where(rt.c.id == token_id))

    async def consume(self, token_id: str) -> bool:
        """Mark a live token used (rotation). Exactly one concurrent caller gets True."""
        return await self._write(_CONSUME, {"p_id": token_id, "p_now": clock.now_ms()}) == 1

    async def revoked_after_use(self, token_id: str) -> bool:
        """Whether a token this caller consumed has since been revoked (a replay revoked its family).

        The no-op UPDATE takes the row lock, so a concurrent revocation of the family that could not
        see the caller's new token yet is waited for, and its RETURNING sees that revocation's result
        (PostgreSQL re-reads a row updated by the transaction it waited for).
        """
        if self.pg is not None:
            row = await self.pg.one(_LOCK_AND_READ, {"p_id": token_id})
            return row is not None and row["revoked_instant"] is not None
        async with self.engine.begin() as conn:
            revoked = (await conn.execute(_LOCK_AND_READ, {"p_id": token_id})).scalar_one_or_none()
        return revoked is not None

    async def extend(self, token_id: str, expires_instant: int) -> None:
        await self._write(update(rt).where(rt.c.id == token_id, _LIVE).values(expires_instant=expires_instant))

    async def _revoke(self, *conds: Any, tx: Tx | None = None) -> int:
        return await self._change(update(rt).where(rt.c.revoked_instant.is_(None), *conds)
                                  .values(revoked_instant=clock.now_ms()), tx)

    async def revoke(self, token_id: str, tx: Tx | None = None) -> int:
        return await self._revoke(rt.c.id == token_id, tx=tx)

    async def revoke_family(self, family_id: str, tx: Tx | None = None) -> int:
        return await self._revoke(rt.c.family_id == family_id, tx=tx)

    async def revoke_for_user(self, user_id: str, application_id: str | None = None, *,
                              keep_session_id: str | None = None, tx: Tx | None = None) -> int:
        conds: list[Any] = [rt.c.user_id == user_id]
        if application_id:
            conds.append(rt.c.application_id == application_id)
        if keep_session_id:
            conds.append(or_(rt.c.session_id.is_(None), rt.c.session_id != keep_session_id))
        return await self._revoke(*conds, tx=tx)

    async def revoke_for_application(self, application_id: str, tx: Tx | None = None) -> int:
        return await self._revoke(rt.c.application_id == application_id, tx=tx)

    async def revoke_for_session(self, session_id: str, tx: Tx | None = None) -> int:
        return await self._revoke(rt.c.session_id == session_id, tx=tx)

    async def live_for_user(self, user_id: str) -> list[dict[str, Any]]:
        return await self._all(select(rt).where(rt.c.user_id == user_id, _LIVE, rt.c.expires_instant > clock.now_ms())
                               .order_by(rt.c.insert_instant))
