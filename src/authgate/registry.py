"""The registry: every long-lived service of one process, built once at start-up (Hydra's idea).

Route handlers reach it as `request.app.state.registry`; tests build one per database.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from authgate.config import Settings
from authgate.keys import KeyRing
from authgate.mail.sender import Sender
from authgate.mail.templates import Templates
from authgate.passwords import PasswordHasher
from authgate.rate_limiter import Limiter
from authgate.storage.db import Database, make_database
from authgate.webhooks import WebhookService

T = TypeVar("T")
_APP_CACHE_TTL = 2.0  # seconds another node's application edit may take to be seen here


class AppCache:
    """Applications are read on every login and refresh; cache them briefly."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._entries: dict[str, tuple[float, dict[str, Any] | None]] = {}
        self._derived: dict[tuple[str, str], tuple[dict[str, Any], Any]] = {}

    async def get(self, app_id: str | None) -> dict[str, Any] | None:
        if not app_id or not isinstance(app_id, str) or len(app_id) > 64:
            return None
        now = time.monotonic()
        hit = self._entries.get(app_id)
        if hit and now - hit[0] < _APP_CACHE_TTL:
            return hit[1]
        row = await self._db.applications.get(app_id)
        if row is not None:  # misses are not kept: random client_ids must not grow the cache
            self._entries[app_id] = (now, row)
        return row

    def derived(self, app: dict[str, Any], kind: str, build: Callable[[dict[str, Any]], T]) -> T:
        """`build(app)` computed once per cached row (a token policy, a client view): rebuilt when the
        cache hands out a new row for the id (identity check), so never staler than the row."""
        key = (app["id"], kind)
        hit = self._derived.get(key)
        if hit is not None and hit[0] is app:
            return hit[1]  # type: ignore[no-any-return]
        value = build(app)
        if len(self._derived) >= 4096:  # rows not from this cache (direct reads) must not grow it forever
            self._derived.clear()
        self._derived[key] = (app, value)
        return value

    def invalidate(self, app_id: str | None = None) -> None:
        if app_id is None:
            self._entries.clear()
        else:
            self._entries.pop(app_id, None)


class Registry:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.issuer = settings.resolved_issuer
        self.db = make_database(settings)
        self.hasher = PasswordHasher(settings.argon2_memory_kib, settings.argon2_time_cost, settings.argon2_parallelism,
                                     settings.password_threads)
        # Old keys stay published for the longest token lifetime we might have issued.
        self.keys = KeyRing(self.db, max(settings.access_token_ttl_seconds, 86400))
        self.apps = AppCache(self.db)
        self.limiter = (Limiter(settings.rate_limit_storage, settings.rate_limit_login, settings.rate_limit_email)
                        if settings.rate_limit_storage else None)
        from authgate.lifecycle import reset_password  # (here: lifecycle's modules import this one)

        # Started by the app's lifespan; runs the jobs requests queue (lifecycle/reset_password.py).
        self.mail = Sender(self.db, settings, jobs={reset_password.REQUEST: lambda row: reset_password.resolve(self, row)})
        self.mail_templates = Templates(settings.mail_templates_dir)
        self.webhooks = WebhookService(self)  # started by the app's lifespan (web/app.py)

    async def close(self) -> None:
        await self.mail.stop()
        await self.webhooks.stop()
        self.hasher.close()
        if self.limiter is not None:
            await self.limiter.close()
        await self.db.close()
