"""Engine creation and the `Database` that groups one repository per stored model."""
from __future__ import annotations

import hashlib
from typing import Any, cast

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from authgate.config import Settings
from authgate.storage.checkpoint import AUTOCHECKPOINT_PAGES
from authgate.storage.inline import inline_sqlite_engine


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


class Database:
    def __init__(self, engine: AsyncEngine) -> None:
        from authgate.storage.repos import (
            ApiKeys, Applications, Codes, LoginFailures, Nonces, RefreshTokens, Registrations,
            RevokedGrants, SigningKeys, SsoSessions, Users,
        )

        self.engine = engine
        self.users = Users(engine)
        self.applications = Applications(engine)
        self.registrations = Registrations(engine)
        self.api_keys = ApiKeys(engine)
        self.signing_keys = SigningKeys(engine)
        self.refresh_tokens = RefreshTokens(engine)
        self.sso_sessions = SsoSessions(engine)
        self.codes = Codes(engine)
        self.login_failures = LoginFailures(engine)
        self.nonces = Nonces(engine)
        self.revoked_grants = RevokedGrants(engine)

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def close(self) -> None:
        await self.engine.dispose()
