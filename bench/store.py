"""The Store example backend's JWT-checked `GET /api/load-shopping-cart`, on the server core."""
from __future__ import annotations

from bench.loader import LoadResult


def measure(plan, p) -> LoadResult:
    raise RuntimeError("Store backend not available yet")
