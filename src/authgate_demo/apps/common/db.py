"""SQLite for the example apps. Synchronous sqlite3 on purpose: each query is a local file read
of a few rows, far cheaper than the thread hop an async driver would add, and easy to read."""
from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path


@contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    with closing(sqlite3.connect(path)) as conn:
        conn.row_factory = sqlite3.Row
        with conn:  # commit on success, roll back on error
            yield conn


def init_schema(path: Path, script: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with connect(path) as conn:
        conn.executescript(script)


class Connections:
    """One reused connection per thread to one database file, for the routes hit on every page
    view: opening a connection costs more than the query. `with conns() as conn:` commits on
    success and rolls back on error, like `connect`. Dropped (and closed) with this object."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._local = threading.local()

    @contextmanager
    def __call__(self) -> Iterator[sqlite3.Connection]:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = sqlite3.connect(self._path)
            conn.row_factory = sqlite3.Row
        with conn:
            yield conn
