"""Data retention: the janitor that deletes what has served its purpose.

Expired authorization codes, nonces, SSO sessions, refresh tokens and revocation records would
otherwise grow without bound. What may go is declared table by table in `storage/purge.py`
(`RULES`); this module decides when: every `purge_interval_seconds` in `serve` (0 disables it)
and once per `authgate purge` (for cron). A sweep deletes in batches, each its own short
transaction (1,000 rows on PostgreSQL; 100 on SQLite, whose statements run on the event loop,
looking at 5,000 rowids at a time), and yields to the event loop between batches, so requests
keep being answered while a backlog of any size drains. Several nodes may run it at once: deletes are idempotent, and on PostgreSQL one
node sweeps while the others skip their turn.
"""
from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from authgate.clock import clock
from authgate.config import Settings
from authgate.revocation import record_ttl
from authgate.storage import purge as rules
from authgate.storage.db import Database
from authgate.storage.repos.events import retention_bounds
from authgate.storage.repos.webhooks import retention_bound as webhook_retention

if TYPE_CHECKING:
    from authgate.registry import Registry

log = logging.getLogger("authgate.retention")

# Rows are kept this long past their expiry: node clocks differ by a little, and a node whose
# clock is behind must not find a nonce gone that it still considers inside its window.
GRACE_SECONDS = 300
PAUSE_SECONDS = 0.005  # between batches: the requests that queued meanwhile are served first


def _bounds(settings: Settings) -> dict[str, int]:
    now = clock.now_ms()
    # How long a spent code's grant may still have live access tokens: as long as a revocation
    # record is kept (the one rule, revocation.record_ttl).
    horizon = record_ttl(settings)
    return {"p_now": now, "p_cut": now - GRACE_SECONDS * 1000, "p_horizon": now - horizon * 1000,
            "p_replay_cut": now - rules.REPLAY_DAYS * 86_400_000,
            **retention_bounds(now, settings.audit_log_retention_days, settings.login_record_retention_days),
            **webhook_retention(now, settings.webhook_delivery_retention_days)}


async def purge(db: Database, settings: Settings, *, batch: int | None = None,
                pause: float = PAUSE_SECONDS) -> dict[str, int] | None:
    """One sweep over every rule: rows deleted per rule, or None if another node is sweeping."""
    deleted: dict[str, int] = {}
    async with rules.sweep(db) as sweep:
        if sweep is None:
            return None
        values = _bounds(settings)
        for rule in list(rules.RULES):
            deleted[rule.name] = await sweep.drain(rule, values, batch=batch, pause=pause)
            await asyncio.sleep(0)
    return deleted


class Janitor:
    """`purge` every `interval` seconds until stopped; a failed sweep is logged and retried."""

    def __init__(self, reg: "Registry", interval: float) -> None:
        self.reg, self.interval = reg, interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.interval > 0 and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="authgate-janitor")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                deleted = await purge(self.reg.db, self.reg.settings)
            except Exception:  # the database is down or busy: the next turn tries again
                log.exception("purge failed")
                continue
            if deleted is None:
                log.debug("purge skipped: another node is sweeping")
            elif any(deleted.values()):
                log.info("purged %s", ", ".join(f"{n} {name}" for name, n in deleted.items() if n))
