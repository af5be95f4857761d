"""`--scale`: a database the size of a real deployment, loaded in bulk beside the bench's own rows.

At `--scale-factor 1`: 1,000 applications, 1,000,000 users (each registered to one of them),
5,000,000 refresh tokens and 200,000 SSO sessions. Refresh tokens come in rotation families of
five, as a OneTimeUse chain leaves them: in 70 % of families four are spent (rotated) and one is
live; in 30 % all five expired a week ago (what the janitor may delete). A fifth of the SSO
sessions have expired. Rows are cloned from the rows the bench provisioned through the API (so
every column holds what authgate itself writes) with fresh ids, digests and instants.

SQLite: `executemany` in transactions of `BATCH` rows on a connection of its own (WAL lets the
running server keep reading). PostgreSQL: asyncpg's `copy_records_to_table` (COPY).
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

USERS, TOKENS, SESSIONS, APPLICATIONS = 1_000_000, 5_000_000, 200_000, 1_000
FAMILY = 5
LIVE_FAMILIES = 0.7
BATCH = 100_000
DAY_MS = 86_400_000


def counts(factor: float) -> dict[str, int]:
    return {"applications": max(2, round(APPLICATIONS * factor)), "users": max(10, round(USERS * factor)),
            "refresh_tokens": max(FAMILY * 2, round(TOKENS * factor) // FAMILY * FAMILY),
            "sso_sessions": max(2, round(SESSIONS * factor))}


def _id(kind: int, i: int) -> str:
    """A UUID-shaped id, unique per (kind, i), spread like a random one."""
    h = hashlib.blake2b(f"{kind}:{i}".encode(), digest_size=16).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}"


def _digest(kind: int, i: int) -> str:
    return hashlib.sha256(f"scale-{kind}:{i}".encode()).hexdigest()


class Rows:
    """Generators of the rows of each table, as dicts keyed like the table's columns."""

    def __init__(self, templates: dict[str, dict], n: dict[str, int], now_ms: int, seed: int = 7) -> None:
        self.t, self.n, self.now = templates, n, now_ms
        self.rng = random.Random(seed)
        self.app_ids = [_id(1, i) for i in range(n["applications"])]

    def applications(self) -> Iterator[dict]:
        for i, app_id in enumerate(self.app_ids):
            yield {**self.t["applications"], "id": app_id, "name": f"scale-app-{i}"}

    def users(self) -> Iterator[dict]:
        for i in range(self.n["users"]):
            yield {**self.t["users"], "id": _id(2, i), "email": f"scale{i}@scale.example", "username": None}

    def registrations(self) -> Iterator[dict]:
        apps = self.app_ids
        for i in range(self.n["users"]):
            yield {**self.t["registrations"], "id": _id(3, i), "user_id": _id(2, i), "application_id": apps[i % len(apps)]}

    def refresh_tokens(self) -> Iterator[dict]:
        users, apps, rng, now = self.n["users"], self.app_ids, self.rng, self.now
        base = self.t["refresh_tokens"]
        for f in range(self.n["refresh_tokens"] // FAMILY):
            user = rng.randrange(users)
            family = _id(4, f)
            live = rng.random() < LIVE_FAMILIES
            start = now - rng.randrange(1, 20) * DAY_MS if live else now - 40 * DAY_MS
            expires = start + 30 * DAY_MS if live else now - 7 * DAY_MS
            for k in range(FAMILY):
                i = f * FAMILY + k
                last = k == FAMILY - 1
                yield {**base, "id": _id(5, i), "token_digest": _digest(5, i), "family_id": family,
                       "user_id": _id(2, user), "application_id": apps[user % len(apps)], "session_id": None,
                       "start_instant": start, "insert_instant": start + k * 3_600_000, "expires_instant": expires,
                       "used_instant": None if (last and live) else start + (k + 1) * 3_600_000,
                       "revoked_instant": None}

    def sso_sessions(self) -> Iterator[dict]:
        users, rng, now = self.n["users"], self.rng, self.now
        for i in range(self.n["sso_sessions"]):
            expired = i % 5 == 0
            auth = now - rng.randrange(1, 3_600_000) - (30 * DAY_MS if expired else 0)
            yield {"id": _id(6, i), "cookie_digest": _digest(6, i), "user_id": _id(2, rng.randrange(users)),
                   "auth_instant": auth, "insert_instant": auth,
                   "expires_instant": auth + (DAY_MS if not expired else 0), "revoked_instant": None, "amr": "pwd"}

    def aged_tokens(self, start_index: int, count: int) -> Iterator[dict]:
        """`count` tokens of families that expired a week ago (the janitor's share of churn)."""
        base, users, apps = self.t["refresh_tokens"], self.n["users"], self.app_ids
        for i in range(start_index, start_index + count):
            user = self.rng.randrange(users)
            start = self.now - 40 * DAY_MS
            yield {**base, "id": _id(7, i), "token_digest": _digest(7, i), "family_id": _id(8, i // FAMILY),
                   "user_id": _id(2, user), "application_id": apps[user % len(apps)], "session_id": None,
                   "start_instant": start, "insert_instant": start, "expires_instant": self.now - 7 * DAY_MS,
                   "used_instant": start + 1, "revoked_instant": None}


ORDER = ("applications", "users", "registrations", "refresh_tokens", "sso_sessions")


def _chunks(rows: Iterator[dict], columns: list[str], size: int) -> Iterator[list[tuple]]:
    chunk: list[tuple] = []
    for row in rows:
        chunk.append(tuple(row[c] for c in columns))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --- SQLite ----------------------------------------------------------------------------------

class SqliteTarget:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = sqlite3.connect(path, timeout=60, isolation_level=None)
        self.conn.execute("PRAGMA cache_size=-262144")  # 256 MiB for the index inserts of this loader only

    def close(self) -> None:
        self.conn.close()

    def columns(self, table: str) -> list[str]:
        return [r[1] for r in self.conn.execute(f"PRAGMA table_info({table})")]

    def template(self, table: str, where: str = "1=1") -> dict | None:
        cur = self.conn.execute(f"SELECT * FROM {table} WHERE {where} LIMIT 1")
        row = cur.fetchone()
        return dict(zip([d[0] for d in cur.description], row)) if row else None

    def insert(self, table: str, rows: Iterator[dict]) -> int:
        columns = self.columns(table)
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        total = 0
        for chunk in _chunks(rows, columns, BATCH):
            chunk = [tuple(json.dumps(v) if isinstance(v, (dict, list)) else v for v in row) for row in chunk]
            self.conn.execute("BEGIN")
            self.conn.executemany(sql, chunk)
            self.conn.execute("COMMIT")
            total += len(chunk)
        return total

    def count(self, table: str) -> int:
        return self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    def size(self) -> dict[str, int]:
        """Bytes: `used` (pages holding data) and `file` (the file, with free pages SQLite reuses)."""
        page = self.conn.execute("PRAGMA page_size").fetchone()[0]
        pages = self.conn.execute("PRAGMA page_count").fetchone()[0]
        free = self.conn.execute("PRAGMA freelist_count").fetchone()[0]
        return {"used": (pages - free) * page, "file": pages * page}


# --- PostgreSQL ------------------------------------------------------------------------------

class PostgresTarget:
    """Synchronous face over asyncpg, so the runner's phases stay plain functions."""

    def __init__(self, url: str) -> None:
        import asyncpg

        parts = urlsplit(url)
        self.dsn = urlunsplit(("postgresql", parts.netloc, parts.path, "", ""))
        self.loop = asyncio.new_event_loop()
        self.conn = self.loop.run_until_complete(asyncpg.connect(self.dsn))

    def _do(self, coro):
        return self.loop.run_until_complete(coro)

    def close(self) -> None:
        self._do(self.conn.close())
        self.loop.close()

    def columns(self, table: str) -> list[str]:
        rows = self._do(self.conn.fetch("SELECT column_name FROM information_schema.columns WHERE table_name = $1 "
                                        "AND table_schema = current_schema() ORDER BY ordinal_position", table))
        return [r[0] for r in rows]

    def template(self, table: str, where: str = "true") -> dict | None:
        row = self._do(self.conn.fetchrow(f"SELECT * FROM {table} WHERE {where} LIMIT 1"))
        return dict(row) if row else None

    def insert(self, table: str, rows: Iterator[dict]) -> int:
        columns = self.columns(table)
        types = dict(self._do(self.conn.fetch(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 "
            "AND table_schema = current_schema()", table)))
        jsons = {c for c, t in types.items() if t in ("json", "jsonb")}
        total = 0
        for chunk in _chunks(rows, columns, BATCH):
            if jsons:
                idx = [i for i, c in enumerate(columns) if c in jsons]
                chunk = [tuple(json.dumps(v) if i in idx and not isinstance(v, str) else v
                               for i, v in enumerate(row)) for row in chunk]
            self._do(self.conn.copy_records_to_table(table, records=chunk, columns=columns))
            total += len(chunk)
        self._do(self.conn.execute(f"ANALYZE {table}"))
        return total

    def count(self, table: str) -> int:
        return self._do(self.conn.fetchval(f"SELECT count(*) FROM {table}"))

    def size(self) -> dict[str, int]:
        db = self._do(self.conn.fetchval("SELECT pg_database_size(current_database())"))
        return {"used": db, "file": db}

    def table_size(self, table: str) -> int:
        return self._do(self.conn.fetchval("SELECT pg_total_relation_size($1::regclass)", table))

    def commits(self) -> int:
        return self._do(self.conn.fetchval("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"))


def target(data_dir: Path, database_url: str):
    return PostgresTarget(database_url) if database_url else SqliteTarget(data_dir / "authgate.db")


def load(db, factor: float, log: Callable[[str], None]) -> dict:
    """Bulk-load the tables; returns counts, seconds per table and sizes after each step."""
    n = counts(factor)
    templates = {t: db.template(t) for t in ("applications", "users", "registrations", "refresh_tokens")}
    missing = [t for t, v in templates.items() if v is None]
    if missing:
        raise RuntimeError(f"no template row in {', '.join(missing)}: provision and log in first")
    json_doc = lambda v: json.loads(v) if isinstance(v, str) and v[:1] in "{[" else v  # noqa: E731
    for name, row in templates.items():
        templates[name] = {k: (json_doc(v) if k == "doc" else v) for k, v in row.items()}
    rows = Rows(templates, n, int(time.time() * 1000))
    out: dict = {"counts": n, "seconds": {}, "size_before": db.size(), "sizes": {}}
    for table in ORDER:
        want = n[table] if table != "registrations" else n["users"]
        log(f"scale: {want:,} {table}")
        started = time.perf_counter()
        db.insert(table, getattr(rows, table)())
        out["seconds"][table] = time.perf_counter() - started
        out["sizes"][table] = db.size()
    out["rows"] = rows
    return out


def per_million(loaded: dict) -> tuple[float, float]:
    """MB per million users (users + registrations) and per million refresh tokens, from the
    growth of the used size while each was loaded."""
    n, sizes, before = loaded["counts"], loaded["sizes"], loaded["size_before"]["used"]
    users_bytes = sizes["registrations"]["used"] - sizes["applications"]["used"]
    token_bytes = sizes["refresh_tokens"]["used"] - sizes["registrations"]["used"]
    del before
    return users_bytes / (n["users"] / 1e6) / 1e6, token_bytes / (n["refresh_tokens"] / 1e6) / 1e6
