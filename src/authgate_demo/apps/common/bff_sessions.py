"""bff mode: the tokens live here, server-side; the browser holds only an opaque session id.

The database stores a SHA-256 digest of the session id, never the id itself, so a leaked
database file does not hand out live browser sessions.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

from .db import connect, init_schema

SCHEMA = """
CREATE TABLE IF NOT EXISTS bff_sessions (
    id_digest     TEXT PRIMARY KEY,
    sub           TEXT NOT NULL,
    access_token  TEXT NOT NULL,
    refresh_token TEXT,
    csrf_token    TEXT NOT NULL,
    expires_at    INTEGER NOT NULL
);
"""


@dataclass
class BffSession:
    sub: str
    access_token: str
    refresh_token: str | None
    csrf_token: str


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class SessionStore:
    def __init__(self, path: Path) -> None:
        self._path = path
        init_schema(path, SCHEMA)

    def create(self, sub: str, access_token: str, refresh_token: str | None, expires_at: int) -> tuple[str, str]:
        """Returns (session id for the cookie, CSRF token for the page)."""
        session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with connect(self._path) as conn:
            conn.execute("INSERT INTO bff_sessions VALUES (?, ?, ?, ?, ?, ?)",
                         (_digest(session_id), sub, access_token, refresh_token, csrf, expires_at))
        return session_id, csrf

    def find(self, session_id: str | None, now: float) -> BffSession | None:
        if not session_id:
            return None
        with connect(self._path) as conn:
            row = conn.execute("SELECT * FROM bff_sessions WHERE id_digest = ? AND expires_at > ?",
                               (_digest(session_id), int(now))).fetchone()
        if row is None:
            return None
        return BffSession(row["sub"], row["access_token"], row["refresh_token"], row["csrf_token"])

    def update_tokens(self, session_id: str, access_token: str, refresh_token: str | None) -> None:
        with connect(self._path) as conn:
            conn.execute("UPDATE bff_sessions SET access_token = ?, refresh_token = COALESCE(?, refresh_token)"
                         " WHERE id_digest = ?", (access_token, refresh_token, _digest(session_id)))

    def delete(self, session_id: str | None) -> None:
        if session_id:
            with connect(self._path) as conn:
                conn.execute("DELETE FROM bff_sessions WHERE id_digest = ?", (_digest(session_id),))
