"""No leak: the server's RSS after N requests of mixed traffic against its RSS after N/10.

Mixed traffic per connection, in turn: validate a JWT, introspect it, refresh its own rotating
refresh token, and every 20th request a password login (on a server with cheap argon2, so the
run is about the request paths, not the hash's transient memory).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import urlencode

from bench import loader
from bench.authgate import Provisioned
from bench.loader import build_request
from bench.scenarios import FORM, JSON, basic

LOGIN_EVERY = 20


class Mixed:
    def __init__(self, p: Provisioned, jwt: str, seeds: list[str], total: int,
                 checkpoint: int, at_checkpoint: Callable[[int], None]) -> None:
        self.tokens = list(seeds)
        self.total, self.checkpoint, self.at_checkpoint = total, checkpoint, at_checkpoint
        self.sent = 0
        self.answered = 0
        self.failed = 0
        self.kind: dict[int, str] = {}
        self.validate = build_request("GET", "/api/jwt/validate", headers={"Authorization": f"Bearer {jwt}"})
        self.introspect = build_request("POST", "/oauth2/introspect", content_type=FORM,
                                        headers={"Authorization": basic(p.client_id, p.client_secret)},
                                        body=urlencode({"token": jwt}).encode())
        self.logins = [build_request("POST", "/api/login", content_type=JSON, body=json.dumps({
            "loginId": u, "password": p.password, "applicationId": p.application_id}).encode()) for u in p.users]

    def request(self, worker: int) -> bytes | None:
        if self.sent >= self.total:
            return None
        self.sent += 1
        n = self.sent
        if n % LOGIN_EVERY == 0:
            self.kind[worker] = "login"
            return self.logins[n % len(self.logins)]
        kind = ("validate", "introspect", "refresh")[n % 3]
        self.kind[worker] = kind
        if kind == "validate":
            return self.validate
        if kind == "introspect":
            return self.introspect
        return build_request("POST", "/api/jwt/refresh", content_type=JSON,
                             body=json.dumps({"refreshToken": self.tokens[worker]}).encode())

    def response(self, worker: int, status: int, body: bytes) -> bool:
        self.answered += 1
        if self.answered == self.checkpoint:
            self.at_checkpoint(self.answered)
        if status != 200:
            self.failed += 1
            return False
        if self.kind.get(worker) == "refresh":
            self.tokens[worker] = json.loads(body).get("refreshToken") or self.tokens[worker]
        return True


def run(p: Provisioned, jwt: str, seeds: list[str], total: int, rss_kib: Callable[[], int],
        time_cap: float) -> tuple[int, int, int, str]:
    """(RSS KiB after total/10, RSS KiB after total, requests answered, note)."""
    marks: dict[str, int] = {}
    work = Mixed(p, jwt, seeds, total, max(1, total // 10), lambda n: marks.setdefault("first", rss_kib()))
    host, port = p.base_url.removeprefix("http://").split(":")
    loop = loader.new_event_loop()
    try:
        result = loop.run_until_complete(loader.run_load(host, int(port), work, concurrency=len(seeds),
                                                         duration=time_cap, warmup=0.0))
    finally:
        loop.close()
    last = rss_kib()
    first = marks.get("first", last)
    note = (f"RSS {first / 1024:.1f} MB after {max(1, total // 10):,} requests, {last / 1024:.1f} MB after "
            f"{work.answered:,} (validate, introspect, rotating refresh; a login every {LOGIN_EVERY}th)")
    if work.failed or result.timeouts:
        note += f"; {work.failed} non-200 answers, {result.timeouts} timeouts"
    if work.answered < total:
        note += f"; stopped by the {time_cap:.0f} s cap at {work.answered:,} of {total:,}"
    return first, last, work.answered, note
