"""The asyncio load generator against a tiny in-process HTTP/1.1 server: counts, keep-alive,
chunked bodies, and per-connection state for rotating refresh tokens."""
from __future__ import annotations

import asyncio
import json

from bench.loader import FixedWorkload, build_request, run_load
from bench.scenarios import RotatingRefresh


class _Server:
    """Keep-alive HTTP/1.1: /fixed (Content-Length), /chunked, /rotate (one-time tokens)."""

    def __init__(self) -> None:
        self.live: set[str] = {f"t{i}-0" for i in range(4)}
        self.reused = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode().split("\r\n")
                method, path, _ = lines[0].split(" ")
                length = next((int(v) for k, _, v in (line.partition(": ") for line in lines[1:])
                               if k.lower() == "content-length"), 0)
                body = await reader.readexactly(length) if length else b""
                writer.write(self.respond(path, body))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def respond(self, path: str, body: bytes) -> bytes:
        if path == "/chunked":
            return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n3\r\n!!!\r\n0\r\n\r\n"
        if path == "/rotate":
            token = json.loads(body)["refreshToken"]
            if token not in self.live:
                self.reused += 1
                return b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"
            self.live.remove(token)
            chain, n = token.split("-")
            new = f"{chain}-{int(n) + 1}"
            self.live.add(new)
            out = json.dumps({"refreshToken": new}).encode()
            return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(out), out)
        status = b"200 OK" if path == "/fixed" else b"404 Not Found"
        return b"HTTP/1.1 " + status + b"\r\nContent-Length: 2\r\n\r\nok"


async def _serve() -> tuple[_Server, asyncio.base_events.Server, int]:
    app = _Server()
    server = await asyncio.start_server(app.handle, "127.0.0.1", 0)
    return app, server, server.sockets[0].getsockname()[1]


async def test_fixed_and_chunked_requests_are_counted_with_latencies() -> None:
    app, server, port = await _serve()
    async with server:
        for path in ("/fixed", "/chunked"):
            result = await run_load("127.0.0.1", port, FixedWorkload(build_request("GET", path)),
                                    concurrency=3, duration=0.3)
            assert result.ok > 10 and result.errors == 0
            assert len(result.latencies_ms) == result.ok
            assert 0 < result.p50 <= result.p99
            assert result.rps == result.ok / 0.3


async def test_unexpected_status_counts_as_error() -> None:
    app, server, port = await _serve()
    async with server:
        result = await run_load("127.0.0.1", port, FixedWorkload(build_request("GET", "/missing")),
                                concurrency=2, duration=0.2)
    assert result.ok == 0 and result.errors > 0
    assert result.error_sample.startswith("404")


async def test_rotating_refresh_keeps_one_chain_per_connection() -> None:
    app, server, port = await _serve()

    def make(token: str) -> bytes:
        return build_request("POST", "/rotate", content_type="application/json",
                             body=json.dumps({"refreshToken": token}).encode())

    work = RotatingRefresh([f"t{i}-0" for i in range(4)], make, "refreshToken")
    async with server:
        result = await run_load("127.0.0.1", port, work, concurrency=4, duration=0.3)
    assert app.reused == 0 and result.errors == 0
    assert work.rotated >= result.ok > 10 and work.same == 0


async def test_answers_that_never_come_are_counted_as_timeouts_and_unanswered() -> None:
    """Nothing silent under overload: a server that reads requests and never answers shows up
    as timeouts (the watchdog aborts the connection, which is reopened) and, at the end of the
    run, as requests still unanswered."""
    async def mute(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await reader.read(4096):
                pass
        except ConnectionError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(mute, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    request = FixedWorkload(build_request("GET", "/fixed"))
    try:
        timed = await run_load("127.0.0.1", port, request, concurrency=2, duration=1.6, warmup=0.0, grace=1.0,
                               timeout=0.5)
        cut = await run_load("127.0.0.1", port, request, concurrency=2, duration=0.3, warmup=0.0, grace=0.3,
                             timeout=5.0)
    finally:
        server.close()
    assert timed.ok == 0
    assert timed.timeouts >= 2 and timed.errors == timed.timeouts
    assert "no answer within 0.5 s" in timed.error_sample
    assert cut.ok == 0 and cut.timeouts == 0
    assert cut.unfinished == 2  # both connections still waiting when the run's time was up
