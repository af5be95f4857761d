"""The background sender: claims due outbox rows with a lease, delivers them, and schedules a
retry with exponential backoff when the server is down or refuses.

Some rows are jobs rather than messages (their `template` is a key of `jobs`): work a request
queued so that it answers at once and the same for everyone, e.g. the hosted forgot-password
form's "find the account and email it a link" (lifecycle/reset_password.py). The sender runs the
job instead of mailing the row; the messages a job queues go out in the same pass.

At-least-once: a row is marked sent only after the server accepted it (or its job ran). If the process dies in
between, the lease (`LEASE_SECONDS`) runs out and the next pass (on any node) sends it again.
Requests never wait for it: they only write the row and `wake()` the sender.
Due times use `authgate.clock`, so tests move the clock instead of waiting for a retry.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from authgate.clock import clock
from authgate.config import Settings
from authgate.mail import smtp
from authgate.storage.db import Database

log = logging.getLogger("authgate.mail")

LEASE_SECONDS = 120  # longer than one delivery can take (timeout) with a margin
BATCH = 20
POLL_SECONDS = 2.0  # how soon another node's message is picked up
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 3600
GIVE_UP_SECONDS = 24 * 3600  # a message still unsent after a day is marked failed
JOB_PREFIX = "job:"  # the `template` of a job's row


def retry_delay_seconds(attempts: int) -> int:
    """30 s, 1 min, 2 min, ... doubling up to an hour (attempts = failures so far, >= 1)."""
    return int(min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** max(0, attempts - 1)))


class Sender:
    def __init__(self, db: Database, settings: Settings,
                 deliver: Callable[[Settings, dict[str, Any]], Awaitable[None]] = smtp.deliver,
                 jobs: dict[str, Callable[[dict[str, Any]], Awaitable[None]]] | None = None) -> None:
        self._db, self._settings, self._deliver = db, settings, deliver
        self._jobs = dict(jobs or {})
        self.owner = str(uuid.uuid4())
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def configured(self) -> bool:
        return bool(self._settings.smtp_host)

    def start(self) -> None:
        """Run the loop in the background (idempotent). Without an SMTP host nothing is sent."""
        if self._task is not None:
            return
        if not self.configured:
            log.warning("AUTHGATE_SMTP_HOST is not set: emails (verification, password reset) stay queued in "
                        "the outbox until an SMTP server is configured")
            return
        self._stopping = False
        self._wake = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="authgate-mail-sender")

    async def stop(self) -> None:
        """Let the current delivery finish (bounded by the SMTP timeout), then end the loop.
        A flag rather than a bare cancel: Python 3.11's timeouts can swallow a cancel that lands
        as they expire, which left the loop running."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._wake.set()
        await asyncio.wait({task}, timeout=self._settings.smtp_timeout_seconds + 5)
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def wake(self) -> None:
        """A message was queued on this node: send without waiting for the next poll."""
        self._wake.set()

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self.deliver_due()
            except Exception:  # noqa: BLE001 - the database may be down for a moment; keep going
                log.exception("mail sender pass failed; retrying")
            if self._stopping:
                break
            self._wake.clear()
            waiter = asyncio.ensure_future(self._wake.wait())
            try:
                await asyncio.wait({waiter}, timeout=POLL_SECONDS)
            finally:
                waiter.cancel()

    async def deliver_due(self) -> int:
        """One pass: claim and deliver every due message; returns how many were delivered."""
        delivered = 0
        while rows := await self._db.outbox.claim(self.owner, BATCH, LEASE_SECONDS * 1000):
            for row in rows:
                delivered += await self._deliver_one(row)
            if len(rows) < BATCH and not any(row["template"] in self._jobs for row in rows):
                break  # (a job may have queued messages: claim again)
        return delivered

    async def _deliver_one(self, row: dict[str, Any]) -> int:
        job = self._jobs.get(row["template"])
        try:
            if row["template"].startswith(JOB_PREFIX) and job is None:
                raise LookupError(f"no handler for the job {row['template']}")  # never mail a job's row
            if job is not None:
                await job(row)
            else:
                await self._deliver(self._settings, row)
        except Exception as exc:  # noqa: BLE001 - any failure is a retry, logged without the body
            attempts = row["attempts"] + 1
            age = (clock.now_ms() - row["insert_instant"]) / 1000
            retry_at = None if age >= GIVE_UP_SECONDS else clock.now_ms() + retry_delay_seconds(attempts) * 1000
            why = f"{type(exc).__name__}: {exc}"[:500]
            await self._db.outbox.mark_failed(row["id"], self.owner, why, retry_at)
            if retry_at is None:
                log.error("mail %s (%s) not delivered after %d attempts, giving up: %s", row["id"], row["template"],
                          attempts, why)
            else:
                log.warning("mail %s (%s) not delivered (attempt %d), retrying in %ds: %s", row["id"],
                            row["template"], attempts, retry_delay_seconds(attempts), why)
            return 0
        await self._db.outbox.mark_sent(row["id"], self.owner)
        if job is not None:
            return 0
        log.info("mail %s (%s) delivered", row["id"], row["template"])
        return 1
