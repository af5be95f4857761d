"""Repositories of the multi-factor tables (schema.py): TOTP methods, recovery codes, WebAuthn
credentials and the single-use challenges. Every "use once" is one conditional write whose row
count decides, so two nodes racing on the same code or challenge cannot both win."""
from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete, exists, func, literal, select, update

from authgate.clock import clock
from authgate.storage.db import digest
from authgate.storage.purge import CUT, Rule, register
from authgate.storage.repos.base import Repo
from authgate.storage.schema import mfa_challenges as ch
from authgate.storage.schema import mfa_methods as mm
from authgate.storage.schema import recovery_codes as rc
from authgate.storage.schema import webauthn_credentials as wc
from authgate.storage.transaction import Tx


# Asked on every password login: one prepared statement (base.Repo's fast path), both tables.
_HAS_FACTOR = select(literal(1).label("one")).where(
    exists().where(mm.c.user_id == bindparam("p_user")) | exists().where(wc.c.user_id == bindparam("p_user")))
_COUNT_METHODS = select(func.count().label("n")).select_from(mm).where(mm.c.user_id == bindparam("p_user"))


class MfaMethods(Repo):
    table = mm

    async def has_factor(self, user_id: str) -> bool:
        """A TOTP method or a passkey: whether this user has any second factor."""
        return await self._one(_HAS_FACTOR, {"p_user": user_id}) is not None

    async def create(self, values: dict[str, Any], tx: Tx | None = None) -> dict[str, Any]:
        return await self._add({**values, "insert_instant": clock.now_ms()}, tx)

    async def for_user(self, user_id: str) -> list[dict[str, Any]]:
        return await self._all(select(mm).where(mm.c.user_id == user_id).order_by(mm.c.insert_instant))

    async def count(self, user_id: str, tx: Tx) -> int:
        """The user's TOTP methods, as `tx` sees them (its own writes included)."""
        row = await tx.one(_COUNT_METHODS, {"p_user": user_id})
        return int(row["n"]) if row else 0

    async def advance_step(self, method_id: str, step: int) -> bool:
        """Accept time step `step` for this method only if it is newer than the last one accepted
        (RFC 6238 section 5.2: a verifier must not accept the same OTP twice)."""
        return await self._write(update(mm).where(mm.c.id == method_id, mm.c.last_step < step)
                                 .values(last_step=step)) == 1

    async def remove(self, user_id: str, method_id: str, tx: Tx | None = None) -> bool:
        return await self._change(delete(mm).where(mm.c.id == method_id, mm.c.user_id == user_id), tx) == 1


def code_digest(user_id: str, code: str) -> str:
    return digest(f"{user_id}:{code}")


class RecoveryCodes(Repo):
    table = rc

    async def replace(self, user_id: str, codes: list[str], tx: Tx | None = None) -> None:
        """The user's codes become exactly these (old ones stop working), in one transaction
        (`tx`, when given)."""
        now = clock.now_ms()
        if tx is not None:
            await tx.execute(delete(rc).where(rc.c.user_id == user_id))
            for code in codes:
                await tx.insert(rc, {"code_digest": code_digest(user_id, code), "user_id": user_id, "insert_instant": now})
            return
        async with self.engine.begin() as conn:
            await conn.execute(delete(rc).where(rc.c.user_id == user_id))
            for code in codes:
                await conn.execute(rc.insert().values(code_digest=code_digest(user_id, code), user_id=user_id,
                                                      insert_instant=now))

    async def use(self, user_id: str, code: str) -> bool:
        """Spend one code: True exactly once per code."""
        return await self._write(delete(rc).where(rc.c.code_digest == code_digest(user_id, code),
                                                  rc.c.user_id == user_id)) == 1

    async def remaining(self, user_id: str) -> int:
        row = await self._one(select(func.count().label("n")).select_from(rc).where(rc.c.user_id == user_id))
        return int(row["n"]) if row else 0

    async def clear(self, user_id: str, tx: Tx | None = None) -> None:
        await self._change(delete(rc).where(rc.c.user_id == user_id), tx)


class WebAuthnCredentials(Repo):
    table = wc

    async def create(self, values: dict[str, Any], tx: Tx | None = None) -> dict[str, Any]:
        return await self._add({**values, "insert_instant": clock.now_ms()}, tx)

    async def for_user(self, user_id: str) -> list[dict[str, Any]]:
        return await self._all(select(wc).where(wc.c.user_id == user_id).order_by(wc.c.insert_instant))

    async def by_credential_id(self, credential_id: str) -> dict[str, Any] | None:
        return await self._one(select(wc).where(wc.c.credential_id == credential_id))

    async def get(self, row_id: str) -> dict[str, Any] | None:
        return await self._one(select(wc).where(wc.c.id == row_id))

    async def record_use(self, row_id: str, old_count: int, new_count: int, doc: dict[str, Any]) -> bool:
        """Store the new signature counter only if nobody else moved it meanwhile (a cloned
        authenticator racing the real one must not both pass)."""
        return await self._write(update(wc).where(wc.c.id == row_id, wc.c.sign_count == old_count)
                                 .values(sign_count=new_count, doc=doc)) == 1

    async def rename(self, user_id: str, row_id: str, name: str) -> bool:
        return await self._write(update(wc).where(wc.c.id == row_id, wc.c.user_id == user_id).values(name=name)) == 1

    async def remove(self, user_id: str, row_id: str, tx: Tx | None = None) -> bool:
        return await self._change(delete(wc).where(wc.c.id == row_id, wc.c.user_id == user_id), tx) == 1


class MfaChallenges(Repo):
    table = ch

    async def create(self, value: str, kind: str, user_id: str | None, ttl_seconds: int, doc: dict[str, Any]) -> None:
        # One insert: the janitor (below) deletes the expired ones.
        await self._insert({"id_digest": digest(value), "kind": kind, "user_id": user_id,
                            "expires_instant": clock.now_ms() + ttl_seconds * 1000, "doc": doc})

    async def peek(self, value: str, kind: str) -> dict[str, Any] | None:
        """The live challenge, without using it up."""
        return await self._one(select(ch).where(ch.c.id_digest == digest(value), ch.c.kind == kind,
                                                ch.c.expires_instant > clock.now_ms()))

    async def consume(self, value: str, kind: str) -> dict[str, Any] | None:
        """The live challenge, removed: exactly one caller gets it."""
        row = await self.peek(value, kind)
        if row is None:
            return None
        async with self.engine.begin() as conn:
            gone = (await conn.execute(delete(ch).where(ch.c.id_digest == row["id_digest"]))).rowcount
        return row if gone == 1 else None


# The janitor (retention.py) deletes expired challenges (two-factor ids, WebAuthn ceremonies):
# they can only be refused.
register(Rule("two-factor challenges", ch, lambda t: t.c.expires_instant < CUT))
