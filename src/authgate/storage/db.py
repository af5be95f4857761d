"""Engine creation and the `Database` that groups one repository per stored model."""
from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from authgate.config import Settings
from authgate.storage.checkpoint import AUTOCHECKPOINT_PAGES
from authgate.storage.inline import InlineEngine, inline_sqlite_engine

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


def make_engine(settings: Settings) -> AsyncEngine:
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        # Inline on the loop thread (storage/inline.py): no thread hop or greenlet switch per statement.
        engine = inline_sqlite_engine(url)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return cast(AsyncEngine, engine)
    connect_args: dict[str, Any] = {}
    if settings.database_schema:
        connect_args["server_settings"] = {"search_path": settings.database_schema}
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True, connect_args=connect_args)


def make_database(settings: Settings) -> "Database":
    engine = make_engine(settings)
    pg = None
    if not isinstance(engine, InlineEngine):
        from authgate.storage.pgfast import PgFast

        pg = PgFast(settings.resolved_database_url, engine.dialect, settings.database_schema)
    return Database(engine, pg)


class Database:
    def __init__(self, engine: AsyncEngine, pg: "PgFast | None" = None) -> None:
        from authgate.storage.repos import (
            AdminSessions, ApiKeys, Applications, AuditLog, Codes, Deliveries, LoginAttempts, LoginFailures, LoginRecords, MfaChallenges,
            MfaMethods, Nonces, RecoveryCodes, RefreshTokens, Registrations, RevokedGrants, SigningKeys, SsoSessions, Users,
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
        self.mfa_methods = MfaMethods(engine, pg)
        self.recovery_codes = RecoveryCodes(engine, pg)
        self.webauthn_credentials = WebAuthnCredentials(engine, pg)
        self.mfa_challenges = MfaChallenges(engine, pg)
        self.audit_log = AuditLog(engine, pg)
        self.login_records = LoginRecords(engine, pg)
        self.webhooks = Webhooks(engine, pg)
        self.webhook_deliveries = Deliveries(engine, pg)

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def close(self) -> None:
        if self.pg is not None:
            await self.pg.close()
        await self.engine.dispose()
