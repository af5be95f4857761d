"""A closed-loop HTTP/1.1 keep-alive load generator on asyncio (uvloop when installed).

Each of `concurrency` connections sends one request, reads the whole response, hands it to the
workload (which may keep per-connection state, e.g. the next rotated refresh token) and sends
the next. Requests that complete inside the measurement window (after `warmup`) count;
the run is bounded by `warmup + duration + grace` whatever the server does.
"""
from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from collections.abc import Callable
from typing import Protocol


class Workload(Protocol):
    def request(self, worker: int) -> bytes | None:
        """The raw request for this connection's next call; None stops the connection."""

    def response(self, worker: int, status: int, body: bytes) -> bool:
        """Take the response; True when it is a success."""


@dataclass
class LoadResult:
    duration: float
    ok: int = 0
    errors: int = 0
    statuses: Counter = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    error_sample: str = ""
    # Set by loaders that report percentiles instead of every latency (wrk).
    fixed_percentiles: tuple[float, float] | None = None
    # Share of one core the server used during the window (None when not probed).
    server_cpu: float | None = None
    # Nothing silent: answers that took longer than the loader's per-request timeout (the
    # connection is then dropped and reopened), and requests still unanswered at the end.
    timeouts: int = 0
    unfinished: int = 0

    @property
    def rps(self) -> float:
        return self.ok / self.duration if self.duration else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return 0.0
        if len(self.latencies_ms) == 1:
            return self.latencies_ms[0]
        return statistics.quantiles(self.latencies_ms, n=1000, method="inclusive")[int(q * 10) - 1]

    @property
    def p50(self) -> float:
        return self.fixed_percentiles[0] if self.fixed_percentiles else self.percentile(50)

    @property
    def p99(self) -> float:
        return self.fixed_percentiles[1] if self.fixed_percentiles else self.percentile(99)


def build_request(
    method: str, path: str, *, host: str = "127.0.0.1", headers: dict[str, str] | None = None,
    body: bytes = b"", content_type: str | None = None,
) -> bytes:
    """Raw HTTP/1.1 request bytes with a Content-Length; the connection stays open."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: keep-alive"]
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class FixedWorkload:
    """The same request every time; success is `expect` status."""

    def __init__(self, raw: bytes, expect: int = 200) -> None:
        self.raw = raw
        self.expect = expect

    def request(self, worker: int) -> bytes | None:
        return self.raw

    def response(self, worker: int, status: int, body: bytes) -> bool:
        return status == self.expect


class RoundRobinWorkload:
    """Cycles through a list of prepared requests (e.g. one login per user)."""

    def __init__(self, raws: list[bytes], expect: int = 200) -> None:
        self.raws = raws
        self.expect = expect
        self._next = 0

    def request(self, worker: int) -> bytes | None:
        raw = self.raws[self._next % len(self.raws)]
        self._next += 1
        return raw

    def response(self, worker: int, status: int, body: bytes) -> bool:
        return status == self.expect


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = -1
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            parts.append(await reader.readexactly(size + 2))
        return status, b"".join(p[:-2] for p in parts)
    if length >= 0:
        return status, await reader.readexactly(length)
    return status, await reader.read()


REQUEST_TIMEOUT = 30.0  # seconds an answer may take before it counts as a timeout


class _Watchdog:
    """Request timeouts for every connection from one timer: a connection waiting longer than
    `timeout` has its socket aborted, and its worker counts a timeout. (A timer per request,
    asyncio.wait_for or asyncio.timeout, cost the loader a third of its CPU per request.)"""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.waiting: dict[int, tuple[float, asyncio.StreamWriter]] = {}
        self.fired: set[int] = set()

    async def run(self) -> None:
        while True:
            await asyncio.sleep(min(1.0, self.timeout / 4))
            now = time.perf_counter()
            for worker, (sent, writer) in list(self.waiting.items()):
                if now - sent > self.timeout:
                    self.fired.add(worker)
                    self.waiting.pop(worker, None)
                    writer.transport.abort()


async def _worker(
    worker: int, host: str, port: int, workload: Workload, result: LoadResult,
    t_start: float, t_end: float, watchdog: _Watchdog,
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while True:
            raw = workload.request(worker)
            if raw is None:
                return
            sent = time.perf_counter()
            if sent >= t_end:
                return
            writer.write(raw)
            watchdog.waiting[worker] = (sent, writer)
            try:
                status, body = await _read_response(reader)
            except (asyncio.IncompleteReadError, ConnectionError, OSError):
                watchdog.waiting.pop(worker, None)
                if worker in watchdog.fired:
                    watchdog.fired.discard(worker)
                    result.timeouts += 1
                    result.error_sample = result.error_sample or f"no answer within {watchdog.timeout:g} s"
                else:
                    result.error_sample = result.error_sample or "connection closed"
                result.errors += 1
                writer.close()
                if time.perf_counter() >= t_end:
                    return
                reader, writer = await asyncio.open_connection(host, port)
                continue
            watchdog.waiting.pop(worker, None)
            done = time.perf_counter()
            ok = workload.response(worker, status, body)
            if t_start <= done <= t_end:
                result.statuses[status] += 1
                if ok:
                    result.ok += 1
                    result.latencies_ms.append((done - sent) * 1000.0)
                else:
                    result.errors += 1
            if not ok and not result.error_sample:
                result.error_sample = f"{status} {body[:200]!r}"
    finally:
        if watchdog.waiting.pop(worker, None) is not None:
            result.unfinished += 1
        writer.close()


async def run_load(
    host: str, port: int, workload: Workload, *, concurrency: int, duration: float,
    warmup: float = 0.0, grace: float = 5.0, cpu_probe: Callable[[], float] | None = None,
    timeout: float = REQUEST_TIMEOUT,
) -> LoadResult:
    """Drive `workload` over `concurrency` keep-alive connections; bounded in time.
    `cpu_probe` (the server's CPU seconds) is read at the window's start and end."""
    now = time.perf_counter()
    t_start = now + warmup
    t_end = t_start + duration
    result = LoadResult(duration=duration)
    if cpu_probe is not None:
        loop = asyncio.get_running_loop()
        marks: list[float] = []

        def mark() -> None:
            marks.append(cpu_probe())
            if len(marks) == 2:
                result.server_cpu = (marks[1] - marks[0]) / duration

        loop.call_later(warmup, mark)
        loop.call_later(warmup + duration, mark)
    watchdog = _Watchdog(timeout)
    guard = asyncio.ensure_future(watchdog.run())
    tasks = [
        asyncio.ensure_future(_worker(i, host, port, workload, result, t_start, t_end, watchdog))
        for i in range(concurrency)
    ]
    done, pending = await asyncio.wait(tasks, timeout=warmup + duration + grace)
    guard.cancel()
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for task in done:
        exc = task.exception()
        if exc is not None and not result.error_sample:
            result.error_sample = f"{type(exc).__name__}: {exc}"
    return result


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop when installed (it ships with uvicorn[standard]), else asyncio's default."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency of uvicorn[standard]
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()
