"""What may be deleted, table by table, and the bounded delete that does it.

The janitor (`authgate/retention.py`) runs these rules on a timer in `serve` and once in
`authgate purge`. Each rule names a table and the condition under which a row has served its
purpose; one batch deletes at most `batch` such rows in one short statement:

    DELETE FROM t WHERE pk IN (SELECT pk FROM t WHERE <expired> LIMIT n FOR UPDATE SKIP LOCKED)

so a batch never holds SQLite's write lock (shared with the group commit on the event loop,
`inline.py`) or PostgreSQL row locks for long, and on PostgreSQL never waits for a row a request
is updating (SKIP LOCKED; SQLite has no row locks and ignores the clause). Each statement also
looks at one window of the table only -- `WINDOW` rowids on SQLite, `WINDOW_BLOCKS` heap blocks
(a TID range scan) on PostgreSQL -- and the sweep walks the windows once: without an index on
the expiry a statement would otherwise read the whole table, and on PostgreSQL every batch of a
backlog would restart that scan from the first block, over the dead rows of the batches before
it until VACUUM (work growing with the square of the backlog). The hot inserts are not given one
more index to maintain. Deletes are idempotent: two nodes deleting the same rows only find fewer.
On PostgreSQL a sweep also holds a session advisory lock, so one node sweeps while the others
skip that round.

To purge a new table, append a `Rule` to `RULES` (or call `register`). The bound parameters a
condition may use: `NOW` (the sweep's instant, epoch ms), `CUT` (`NOW` minus a grace period for
clock skew between nodes), `HORIZON` (`NOW` minus the longest an access token may live) and
`REPLAY_CUT` (`NOW` minus `REPLAY_DAYS`).
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Integer, Table, and_, bindparam, cast, delete, exists, func, literal, literal_column, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import UserDefinedType
from sqlalchemy.sql.expression import Alias

from authgate.storage.schema import (
    authorization_codes, login_attempts, refresh_tokens, revoked_grants, sso_sessions, used_nonces,
)

if TYPE_CHECKING:
    from authgate.storage.db import Database

P_AFTER = bindparam("p_after", type_=Integer)
P_UPTO = bindparam("p_upto", type_=Integer)
NOW = bindparam("p_now", type_=refresh_tokens.c.expires_instant.type)
CUT = bindparam("p_cut", type_=refresh_tokens.c.expires_instant.type)
HORIZON = bindparam("p_horizon", type_=refresh_tokens.c.expires_instant.type)
REPLAY_CUT = bindparam("p_replay_cut", type_=refresh_tokens.c.expires_instant.type)
# How long past its own expiry a spent refresh token still reveals a replay (revokes its family).
REPLAY_DAYS = 7

# Rows per statement. PostgreSQL deletes on the server while the loop serves requests; SQLite
# deletes on the event loop itself (inline.py), where a row costs ~20-50 us (each of the table's
# B-trees gets a page dirtied at random), so its batches stay at a few milliseconds.
BATCH_POSTGRES = 1000
BATCH_SQLITE = 100
WINDOW = 5000  # SQLite: rowids a statement looks at (~1 ms of reading)
WINDOW_BLOCKS = 1024  # PostgreSQL: heap blocks a statement looks at (8 MB, ~16k refresh tokens)


class _Tid(UserDefinedType):
    """PostgreSQL's `tid` (a row's physical address), for the block windows' bounds."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "tid"


class _RegClass(UserDefinedType):
    """A table name resolved through the search path (the schema of `DATABASE_SCHEMA`)."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "regclass"


def _block(param: Any) -> Any:
    return cast(func.format("(%s,0)", param), _Tid())  # the first row address of block `param`
ADVISORY_LOCK = 7263515  # PostgreSQL: one sweeping node at a time (7263514 is the migrations' lock)


@dataclass
class Rule:
    """`expired(t)`: the condition on `t` (an alias of `table`) under which a row may go."""

    name: str
    table: Table
    expired: Callable[[Alias], ColumnElement[bool]]
    _statements: dict[tuple[int, bool], Any] = field(default_factory=dict, repr=False, compare=False)

    def statement(self, batch: int, windowed: str | None = None) -> Any:
        """Built once per batch size: the fast paths prepare a statement once, keyed by identity.
        `windowed`: only rows with `P_AFTER < rowid <= P_UPTO` ("rowid", SQLite), or in heap
        blocks `P_AFTER <= block < P_UPTO` ("ctid", PostgreSQL)."""
        stmt = self._statements.get((batch, windowed))
        if stmt is None:
            (key,) = self.table.primary_key.columns  # one-column keys only: what IN (...) needs
            doomed = self.table.alias("doomed")
            condition = self.expired(doomed)
            if windowed == "rowid":
                rowid = literal_column("doomed.rowid", Integer)
                condition = and_(rowid > P_AFTER, rowid <= P_UPTO, condition)
            elif windowed == "ctid":
                ctid = literal_column("doomed.ctid", _Tid())
                condition = and_(ctid >= _block(P_AFTER), ctid < _block(P_UPTO), condition)
            ids = select(doomed.c[key.key]).where(condition).limit(batch).with_for_update(skip_locked=True)
            stmt = self._statements[(batch, windowed)] = delete(self.table).where(key.in_(ids))
        return stmt

    def top(self, windowed: str) -> Any:
        """Where the windows end: the largest rowid (SQLite), or the heap's block count (PostgreSQL)."""
        stmt = self._statements.get((0, windowed))
        if stmt is None:
            if windowed == "rowid":
                top = func.max(literal_column("rowid", Integer))
                stmt = select(top.label("top")).select_from(self.table)
            else:
                blocks = func.pg_relation_size(cast(literal(self.table.name), _RegClass())) \
                    / cast(func.current_setting("block_size"), Integer)
                stmt = select(cast(blocks, Integer).label("top"))
            self._statements[(0, windowed)] = stmt
        return stmt


def _live_refresh_token_of(family_id: Any) -> Any:
    """Some token of the family can still be used: its used/expired siblings are kept, since a
    replay of one of them is how theft is detected (RFC 9700 section 4.14.2)."""
    live = refresh_tokens.alias("live")
    return exists().where(live.c.family_id == family_id, live.c.expires_instant >= NOW,
                          live.c.revoked_instant.is_(None))


RULES: list[Rule] = [
    # A spent code is kept while a replay could still revoke something (RFC 6749 section 4.1.2):
    # the access tokens it issued (HORIZON) and its refresh token family. An unspent one that
    # expired can only ever be refused.
    Rule("authorization codes", authorization_codes, lambda t: and_(
        t.c.expires_instant < CUT,
        or_(t.c.consumed_instant.is_(None),
            and_(t.c.consumed_instant < HORIZON, ~_live_refresh_token_of(t.c.grant_id))))),
    # DPoP proof `jti`s and other once-only values: a proof outside its window is refused anyway.
    Rule("nonces", used_nonces, lambda t: t.c.expires_instant < CUT),
    # Expired sessions: never found live again (revoked ones are kept until then, like FusionAuth).
    Rule("sso sessions", sso_sessions, lambda t: t.c.expires_instant < CUT),
    # Expired refresh tokens, once no token of their family is usable any more -- and a spent
    # (rotated-away) one also once it expired `REPLAY_DAYS` ago even if its family lives on: a
    # family whose expiry slides with each use (SlidingWindow) may never expire, and would keep
    # every token it ever rotated. Replaying such a token is refused either way (not found instead
    # of revoking the family: a copy stolen that long ago had expired anyway).
    Rule("refresh tokens", refresh_tokens, lambda t: and_(
        t.c.expires_instant < CUT,
        or_(and_(t.c.used_instant.is_not(None), t.c.expires_instant < REPLAY_CUT),
            ~_live_refresh_token_of(t.c.family_id)))),
    # A revocation record outlives every access token carrying its grant id (`expires_instant`).
    Rule("revocation records", revoked_grants, lambda t: t.c.expires_instant < CUT),
    # Password-guess counters (authgate/lockout.py), unknown login ids' included: once their window
    # and lock are over they count nothing; this keeps their storage bounded.
    Rule("login attempts", login_attempts, lambda t: t.c.expires_instant < CUT),
]


def register(rule: Rule) -> Rule:
    """For tables added later (outbox, reset ids, ...): one line next to the table's repository.
    Names are what `authgate purge` reports, so each is registered once."""
    if any(existing.name == rule.name for existing in RULES):
        raise ValueError(f"a purge rule named {rule.name!r} is already registered")
    RULES.append(rule)
    return rule


class Sweep:
    """One node's pass over the rules: runs batches on the fast path of the database."""

    def __init__(self, run: Callable[[Any, dict[str, Any]], Any], size: int, db: "Database") -> None:
        self._run, self.size, self._db = run, size, db
        self.windowed, self.window = ("ctid", WINDOW_BLOCKS) if db.pg is not None else ("rowid", WINDOW)

    async def batch(self, rule: Rule, values: dict[str, int], batch: int | None = None,
                    window: tuple[int, int] | None = None) -> int:
        """Delete at most `batch` rows of `rule` among the rowids (SQLite) or heap blocks
        (PostgreSQL) of `window` (by default the whole table); returns how many went."""
        after, upto = window or (0, 2**62 if self.windowed == "rowid" else 2**31 - 1)
        extra = {"p_after": after, "p_upto": upto}
        return int(await self._run(rule.statement(batch or self.size, self.windowed), {**values, **extra}))

    async def _top(self, rule: Rule) -> int:
        reader = self._db.pg if self._db.pg is not None else self._db.engine
        return int((await reader.one(rule.top(self.windowed), {}) or {}).get("top") or 0)  # type: ignore[union-attr]

    async def drain(self, rule: Rule, values: dict[str, int], *, batch: int | None = None,
                    pause: float = 0.0) -> int:
        """One walk over the table's windows, each until it has no more to delete; `pause`
        seconds after each batch that deleted."""
        batch = batch or self.size
        total, after, top = 0, 0, await self._top(rule)
        while after < top:
            count = await self.batch(rule, values, batch, (after, after + self.window))
            total += count
            if count < batch:
                after += self.window  # this window is done; a full batch means it may hold more
            await asyncio.sleep(pause if count else 0)
        return total


@asynccontextmanager
async def sweep(db: "Database") -> AsyncIterator[Sweep | None]:
    """A `Sweep`, or None when another node holds the sweep lock (PostgreSQL)."""
    if db.pg is not None:
        async with db.pg.exclusive(ADVISORY_LOCK) as run:
            yield Sweep(run, BATCH_POSTGRES, db) if run is not None else None
        return
    yield Sweep(db.engine.write, BATCH_SQLITE, db)  # type: ignore[attr-defined]  # one unit per batch, group-committed
