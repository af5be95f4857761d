"""Prometheus request metrics, labelled by route template (bounded cardinality), not raw path."""
from __future__ import annotations

import time
from typing import Any

from prometheus_client import Counter, Histogram

REQUESTS = Counter("authgate_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("authgate_http_request_seconds", "HTTP request latency", ["route"],
                    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5))


_children: dict[tuple[str, str, str], tuple[Any, Any]] = {}  # labelled series, looked up once each


def _series(method: str, route: str, status: str) -> tuple[Any, Any]:
    key = (method, route, status)
    found = _children.get(key)
    if found is None:
        found = _children[key] = (REQUESTS.labels(method, route, status), LATENCY.labels(route))
    return found


class Metrics:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        status = 500

        async def capture(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            requests, latency = _series(scope["method"], getattr(scope.get("route"), "path", "unmatched"), str(status))
            requests.inc()
            latency.observe(time.perf_counter() - start)
