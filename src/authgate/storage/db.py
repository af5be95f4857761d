"""Engine creation and the `Database` that groups one repository per stored model."""
from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, cast

from contextlib import AbstractAsyncContextManager

from sqlalchemy import URL, event, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from authgate.config import Settings
from authgate.storage.checkpoint import AUTOCHECKPOINT_PAGES
from authgate.storage.inline import inline_sqlite_engine
from authgate.storage.transaction import Tx, transaction

if TYPE_CHECKING:
    from authgate.storage.pgfast import PgFast


def digest(secret: str) -> str:
    """SHA-256 hex of a high-entropy secret: what we store instead of the secret itself."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers proceed during a write; foreign keys are off by default in SQLite.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA synchronous=NORMAL")
    # storage/checkpoint.py checkpoints in the background; this is only the bound on the log.
    cur.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
    cur.close()


def database_url(settings: Settings) -> URL:
    """The configured database URL, parsed once, with the driver authgate runs each backend on:
    pysqlite inline on the event loop (`inline.py`) or asyncpg. Whatever driver the URL names
    (`sqlite+aiosqlite://`, `postgresql://`, `postgresql+psycopg://`) only picks the backend."""
    url = make_url(settings.resolved_database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        return url.set(drivername="sqlite+pysqlite")
    if backend == "postgresql":
        return url.set(drivername="postgresql+asyncpg")
    raise ValueError(f"unsupported database {backend!r} in AUTHGATE_DATABASE_URL: use sqlite or postgresql")


def make_database(settings: Settings) -> "Database":
    url = database_url(settings)
    if url.get_backend_name() == "sqlite":
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        # Inline on the loop thread (storage/inline.py): no thread hop or greenlet switch per statement.
        engine = inline_sqlite_engine(url)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return Database(cast(AsyncEngine, engine))
    from authgate.storage.pgfast import PgFast

    # Two pools on purpose. The per-request statements run on asyncpg's own pool (pgfast.py):
    # a checkout from SQLAlchemy's pool, with its greenlet hop, bookkeeping and pre-ping, cost more
    # than the statement itself. SQLAlchemy's pool serves the rest (migrations, admin APIs,
    # statements built per call) and is kept small. Both get the same server settings, set here.
    server_settings = {"search_path": settings.database_schema} if settings.database_schema else {}
    engine = create_async_engine(url, pool_size=5, max_overflow=5, pool_pre_ping=True,
                                 connect_args={"server_settings": server_settings})
    return Database(engine, PgFast(url, engine.dialect, server_settings))


class Database:
    def __init__(self, engine: AsyncEngine, pg: "PgFast | None" = None) -> None:
        from authgate.storage.repos import (
            ActionIds, AdminSessions, ApiKeys, ConsoleStats, Applications, AuditLog, Codes, Deliveries, LoginAttempts, LoginFailures, LoginRecords, MfaChallenges,
            MfaMethods, Nonces, Outbox, RecoveryCodes, RefreshTokens, Registrations, RevokedGrants, SigningKeys, SsoSessions, Users,
            WebAuthnCredentials, Webhooks,
        )

        self.engine, self.pg = engine, pg
        self.users = Users(engine, pg)
        self.applications = Applications(engine, pg)
        self.registrations = Registrations(engine, pg)
        self.api_keys = ApiKeys(engine, pg)
        self.signing_keys = SigningKeys(engine, pg)
        self.refresh_tokens = RefreshTokens(engine, pg)
        self.sso_sessions = SsoSessions(engine, pg)
        self.codes = Codes(engine, pg)
        self.login_failures = LoginFailures(engine, pg)
        self.login_attempts = LoginAttempts(engine, pg)
        self.nonces = Nonces(engine, pg)
        self.revoked_grants = RevokedGrants(engine, pg)
        self.admin_sessions = AdminSessions(engine, pg)
        self.console_stats = ConsoleStats(engine, pg)
        self.mfa_methods = MfaMethods(engine, pg)
        self.recovery_codes = RecoveryCodes(engine, pg)
        self.webauthn_credentials = WebAuthnCredentials(engine, pg)
        self.mfa_challenges = MfaChallenges(engine, pg)
        self.audit_log = AuditLog(engine, pg)
        self.login_records = LoginRecords(engine, pg)
        self.webhooks = Webhooks(engine, pg)
        self.webhook_deliveries = Deliveries(engine, pg)
        self.outbox = Outbox(engine, pg)
        self.action_ids = ActionIds(engine, pg)

    def transaction(self) -> "AbstractAsyncContextManager[Tx]":
        """Writes that stand or fall together (storage/transaction.py)."""
        return transaction(self.engine, self.pg)

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def close(self) -> None:
        if self.pg is not None:
            await self.pg.close()
        await self.engine.dispose()
