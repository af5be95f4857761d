"""SQLite WAL checkpoints on a background thread, not inside the event loop's commits.

With `wal_autocheckpoint` at SQLite's default (1,000 pages), every commit that crosses it copies
the log into the database file and fsyncs it: measured on the benchmark machine, 1-10 ms stalls
that were 55 % of all commit time, during which the event loop (which runs SQLite inline, see
`inline.py`) answered nothing. This thread checkpoints every `interval` seconds on its own
connection, PASSIVE (it never waits for, nor blocks, a reader or writer); SQLite releases the GIL
while it copies and syncs. The serving connections keep a higher automatic threshold as a
bound: under a steady write load a passive checkpoint rarely finds the log idle enough to
restart it, and the in-commit checkpoint at that bound, with most pages already copied, does.

Every second rather than five times a second: a checkpoint copies each page changed since the
last one, and the hot B-tree pages of a refresh (seven per rotation) change hundreds of times a
second, so a longer interval copies each of them once for more commits. Measured on the
benchmark machine (AMD EPYC, bench A/B, same run): rotating refresh +7-9 % per server CPU-second.
The log between checkpoints stays small (a second of writes, a few MB).
"""
from __future__ import annotations

import logging
import sqlite3
import threading

log = logging.getLogger("authgate.storage")

AUTOCHECKPOINT_PAGES = 8000  # ~32 MB of log at 4 KiB pages


class Checkpointer:
    def __init__(self, path: str, interval: float = 1.0) -> None:
        self.path, self.interval = path, interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        try:
            conn = sqlite3.connect(self.path, timeout=1.0, isolation_level=None)
        except sqlite3.Error as exc:
            log.warning("no background checkpoints for %s: %s", self.path, exc)
            return
        try:
            while not self._stop.wait(self.interval):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as exc:  # e.g. the file is gone; the in-commit bound still applies
                    log.debug("checkpoint of %s failed: %s", self.path, exc)
        finally:
            conn.close()
