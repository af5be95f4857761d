"""The Forums: posts keyed by the IdP's user id (`sub`), in the Forums' own SQLite database.

Same login machinery as the Store (authgate_demo.apps.common), different client id, origin and data --
which is the point: single sign-on between the two is the IdP's job, not theirs.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from authgate_demo.apps.common.app import AppSpec, create_example_app
from authgate_demo.apps.common.config import ExampleConfig
from authgate_demo.apps.common.db import connect, init_schema
from authgate_demo.apps.common.errors import ApiError

SCHEMA = """
CREATE TABLE IF NOT EXISTS posts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    TEXT NOT NULL,   -- the JWT's sub
    author     TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
"""
# Seeded posts by community members who never log in during the demo, so the forum is not empty.
SEED_POSTS = [
    ("seed-ada", "ada@example.com", "Welcome! Be kind, and never paste a JWT in a post."),
    ("seed-grace", "grace@example.com", "Tip: the event log shows every step of the login workflow."),
]
MAX_POST_CHARS = 500


def _seed(db_path: Path, now: float) -> None:
    init_schema(db_path, SCHEMA)
    with connect(db_path) as conn:
        if conn.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == 0:
            conn.executemany("INSERT INTO posts (user_id, author, body, created_at) VALUES (?, ?, ?, ?)",
                             [(uid, author, body, int(now)) for uid, author, body in SEED_POSTS])


def _load_posts(db_path: Path) -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    def load(sub: str, claims: dict[str, Any]) -> dict[str, Any]:
        with connect(db_path) as conn:
            mine = conn.execute("SELECT id, body FROM posts WHERE user_id = ? ORDER BY id DESC", (sub,)).fetchall()
            recent = conn.execute("SELECT author, body FROM posts WHERE user_id != ? ORDER BY id DESC LIMIT 5",
                                  (sub,)).fetchall()
        return {
            "owner": claims.get("email") or sub,
            "items": [{"id": r["id"], "text": r["body"]} for r in mine],
            "recent": [{"text": f"{r['author']}: {r['body']}"} for r in recent],
        }

    return load


def _add_post(db_path: Path, clock: Callable[[], float]) -> Callable[[str, dict[str, Any], dict[str, Any]], dict]:
    def add(sub: str, claims: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        text = body.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_POST_CHARS:
            raise ApiError(400, "invalid_request", f"text must be 1..{MAX_POST_CHARS} characters")
        with connect(db_path) as conn:
            cursor = conn.execute("INSERT INTO posts (user_id, author, body, created_at) VALUES (?, ?, ?, ?)",
                                  (sub, claims.get("email") or sub, text.strip(), int(clock())))
        return {"added": cursor.lastrowid}

    return add


def create_app(cfg: ExampleConfig, *, http: httpx.AsyncClient | None = None,
               clock: Callable[[], float] = time.time) -> FastAPI:
    _seed(cfg.db_path, clock())
    spec = AppSpec(
        theme="forums",
        tagline="Talk to other users, signed in once for the Store and here",
        data_route="/api/load-posts",
        data_title="Your posts",
        add_route="/api/posts",
        add_label="Post",
        load=_load_posts(cfg.db_path),
        add=_add_post(cfg.db_path, clock),
    )
    return create_example_app(cfg, spec, http=http, clock=clock)
