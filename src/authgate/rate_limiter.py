"""The rate-limit counters (`limits` library), owned by the registry so their connections close
with it; web/rate_limit.py applies them to requests. Memory storage limits one node; `redis://`
storage makes every node share the counters."""
from __future__ import annotations

from typing import Any

from limits import parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string


class Limiter:
    """Owned by the registry, so its connections close with it."""

    def __init__(self, storage_url: str, limit: str, address_limit: str = "5/10minute") -> None:
        self.item = parse(limit)
        self.address_item = parse(address_limit)  # emails sent to one address (sign-up, forgot password)
        url = storage_url if storage_url.startswith("async+") else f"async+{storage_url}"
        # redis-py's asyncio client (a declared dependency) rather than limits' default, coredis.
        options: dict[str, Any] = {"implementation": "redispy"} if "redis" in url else {}
        self.storage: Any = storage_from_string(url, **options)
        self.strategy = MovingWindowRateLimiter(self.storage)

    async def close(self) -> None:
        client = getattr(getattr(getattr(self.storage, "bridge", None), "storage", None), "aclose", None)
        if client is not None:
            await client()
