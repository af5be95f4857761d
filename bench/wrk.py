"""Debian's `wrk` for fixed requests (it cannot carry a rotating token between requests).

wrk runs pinned to the loader core; a Lua `done` hook prints the summary as JSON. A 3xx counts
as success for wrk, so workloads that expect something else than 2xx do not use it.
"""
from __future__ import annotations

import json
import math
import shutil
import subprocess
import tempfile
from collections import Counter

from bench.loader import LoadResult
from bench.server import LOADER_CORE, pinned

_DONE = """
done = function(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "non2xx": %d, "connect": %d, "read": %d, "write": %d, '
    .. '"timeout": %d, "p50_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.timeout,
    latency:percentile(50.0), latency:percentile(99.0)))
end
"""


def available() -> bool:
    return shutil.which("wrk") is not None


def _long_string(value: str) -> str:
    level = 1
    while f"]{'=' * level}]" in value:
        level += 1
    return f"[{'=' * level}[{value}]{'=' * level}]"


def script(method: str, headers: dict[str, str], body: str) -> str:
    lines = [f"wrk.method = {_long_string(method)}"]
    if body:
        lines.append(f"wrk.body = {_long_string(body)}")
    for name, value in headers.items():
        lines.append(f"wrk.headers[ {_long_string(name)} ] = {_long_string(value)}")
    return "\n".join(lines) + "\n" + _DONE


def _run(url: str, lua: str, concurrency: int, seconds: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as f:
        f.write(lua)
        f.flush()
        cmd = pinned(["wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", "--timeout", "10s", "-s", f.name, url],
                     core=LOADER_CORE)
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30)
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed: {proc.stderr[-500:]}")
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"no summary from wrk: {proc.stdout[-500:]}")


def run(
    url: str, *, method: str = "GET", headers: dict[str, str] | None = None, body: str = "",
    concurrency: int, duration: float, warmup: float = 0.0, cpu_probe=None,
) -> LoadResult:
    """Warm up, then measure; a LoadResult like the asyncio loader's."""
    lua = script(method, headers or {}, body)
    if warmup > 0:
        _run(url, lua, concurrency, max(1, math.ceil(warmup)))
    cpu_before = cpu_probe() if cpu_probe else 0.0
    summary = _run(url, lua, concurrency, max(1, math.ceil(duration)))
    elapsed = summary["duration_us"] / 1e6
    cpu = (cpu_probe() - cpu_before) / elapsed if cpu_probe else None
    socket_errors = summary["connect"] + summary["read"] + summary["write"] + summary["timeout"]
    ok = summary["requests"] - summary["non2xx"]
    result = LoadResult(duration=elapsed, ok=ok, errors=summary["non2xx"] + socket_errors,
                        statuses=Counter({"2xx/3xx": ok, "other": summary["non2xx"]}))
    result.fixed_percentiles = (summary["p50_us"] / 1000.0, summary["p99_us"] / 1000.0)
    result.server_cpu = cpu
    if result.errors:
        result.error_sample = f"wrk: {summary['non2xx']} non-2xx/3xx, {socket_errors} socket errors"
    return result
