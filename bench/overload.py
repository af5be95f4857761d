"""Graceful under overload.

1. Saturation sweep: throughput at 1, 2, 4, ... connections until one more doubling gains under
   5 %; the peak, and the smallest concurrency within 5 % of it ("saturates the core"). Then
   8x that many connections: throughput against the peak, p99, timeouts and errors counted.
2. A flood of wrong-password logins (unknown login ids: authgate hashes a dummy so the answer
   takes as long as for a real user, so every one is a full argon2id) keeps the hash pool
   saturated while refresh and validate are measured beside it, against their quiet figures.
3. The same flood at a server with its default rate limit on: how many 429s, how many answered.
"""
from __future__ import annotations

import dataclasses
import json
import secrets
import threading
from collections import Counter
from collections.abc import Callable

from bench import loader
from bench.authgate import Provisioned
from bench.loader import LoadResult, build_request

JSON = "application/json"
GAIN = 1.05  # a doubling that gains less than 5 % means the core is saturated
MAX_CONCURRENCY = 64


def sweep(run_at: Callable[[int], LoadResult], start: int = 1,
          limit: int = MAX_CONCURRENCY) -> tuple[list[tuple[int, LoadResult]], float, int]:
    """[(connections, result)], the peak req/s, and the saturating concurrency."""
    points: list[tuple[int, LoadResult]] = []
    c = start
    while c <= limit:
        points.append((c, run_at(c)))
        if len(points) >= 2 and points[-1][1].rps < points[-2][1].rps * GAIN:
            break
        c *= 2
    peak = max(r.rps for _, r in points)
    saturating = min(c for c, r in points if r.rps >= peak / GAIN)
    return points, peak, saturating


def describe(points: list[tuple[int, LoadResult]]) -> str:
    return ", ".join(f"{c}: {r.rps:,.0f}/s p99 {r.p99:.1f} ms" for c, r in points)


class WrongPasswords:
    """Wrong-password logins for login ids nobody has, until `stop` is set."""

    def __init__(self, p: Provisioned, variety: int = 64, max_answers: int | None = None) -> None:
        self.max_answers = max_answers
        self.raws = [build_request("POST", "/api/login", content_type=JSON, body=json.dumps({
            "loginId": f"nobody-{secrets.token_hex(4)}@example.com", "password": "wrong-" + secrets.token_hex(6),
            "applicationId": p.application_id}).encode()) for _ in range(variety)]
        self.next = 0
        self.stop = threading.Event()
        self.statuses: Counter = Counter()

    def request(self, worker: int) -> bytes | None:
        if self.stop.is_set() or (self.max_answers and sum(self.statuses.values()) >= self.max_answers):
            return None
        self.next += 1
        return self.raws[self.next % len(self.raws)]

    def response(self, worker: int, status: int, body: bytes) -> bool:
        self.statuses[status] += 1
        return status in (404, 429)  # refused as FusionAuth refuses, or rate limited


class Flood:
    """WrongPasswords from a thread of this (loader) process, with its own event loop, for at
    most `seconds`; `stop()` ends it early and returns the answers' status counts."""

    def __init__(self, p: Provisioned, concurrency: int, seconds: float, max_answers: int | None = None) -> None:
        self.work = WrongPasswords(p, max_answers=max_answers)
        self.result: LoadResult | None = None
        host, port = p.base_url.removeprefix("http://").split(":")

        def run() -> None:
            loop = loader.new_event_loop()
            try:
                self.result = loop.run_until_complete(loader.run_load(
                    host, int(port), self.work, concurrency=concurrency, duration=seconds, warmup=0.0))
            finally:
                loop.close()

        self.thread = threading.Thread(target=run, name="bench-flood", daemon=True)

    def __enter__(self) -> "Flood":
        self.thread.start()
        return self

    def stop(self) -> Counter:
        self.work.stop.set()
        self.thread.join(60)
        return self.work.statuses

    def __exit__(self, *exc: object) -> None:
        self.stop()


def with_concurrency(plan, concurrency: int):
    return dataclasses.replace(plan, concurrency=concurrency)


def rate_limited_flood(p: Provisioned, concurrency: int, answers: int, cap: float) -> tuple[Counter, float]:
    """Wrong passwords at a server whose rate limit is on, until `answers` came back or `cap`
    seconds passed: (status counts, seconds taken)."""
    import time

    started = time.monotonic()
    flood = Flood(p, concurrency, cap, max_answers=answers)
    with flood:
        flood.thread.join(cap + 30)
    return flood.work.statuses, time.monotonic() - started
