"""The Store's cart read: the starter cart is written once, the first time a user is seen; after
that, reading a cart is a read (no write transaction per page view)."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from authgate_demo.apps.store.app import _load_cart, _seed


def _data_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA data_version").fetchone()[0]  # changes when another connection commits


def test_cart_is_seeded_once_and_then_only_read(tmp_path: Path):
    path = tmp_path / "store.db"
    _seed(path)
    load = _load_cart(path)
    watcher = sqlite3.connect(path)
    try:
        before = _data_version(watcher)
        first = load("user-1", {})
        assert sorted(i["id"] for i in first["items"]) == ["mug", "tea"]
        seeded = _data_version(watcher)
        assert seeded != before
        for _ in range(3):
            assert load("user-1", {}) == first
        assert _data_version(watcher) == seeded
    finally:
        watcher.close()


def test_an_emptied_cart_is_not_seeded_again(tmp_path: Path):
    path = tmp_path / "store.db"
    _seed(path)
    load = _load_cart(path)
    load("user-1", {})
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM cart_items WHERE user_id = 'user-1'")
    assert load("user-1", {})["items"] == []
