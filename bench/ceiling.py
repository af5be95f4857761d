"""The raw argon2id ceiling: hashes per second on one core, argon2-cffi, authgate's defaults.

Run as `python -m bench.ceiling SECONDS` under `taskset -c 0`; prints one JSON object.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time

from argon2 import PasswordHasher

from bench.server import REPO_ROOT, pinned

# OWASP's argon2id minimum, authgate's default (config.Settings.argon2_*).
MEMORY_KIB = 19456
TIME_COST = 2
PARALLELISM = 1


def hashes_per_second(seconds: float) -> dict[str, float]:
    ph = PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_KIB, parallelism=PARALLELISM)
    ph.hash("warm-up password")
    count = 0
    latencies = []
    cpu_start = time.process_time()
    start = time.perf_counter()
    while (now := time.perf_counter()) - start < seconds:
        ph.hash("correct horse battery staple")
        latencies.append(time.perf_counter() - now)
        count += 1
    elapsed = time.perf_counter() - start
    cpu_share = (time.process_time() - cpu_start) / elapsed
    latencies.sort()
    return {
        "hashes_per_second": count / elapsed,
        "cpu_share": cpu_share,
        "count": count,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    }


def measure(seconds: float) -> dict[str, float]:
    """Hashes/s in a fresh interpreter pinned to the server core."""
    out = subprocess.run(
        pinned([sys.executable, "-m", "bench.ceiling", str(seconds)]),
        capture_output=True, text=True, check=True, timeout=seconds + 60, cwd=REPO_ROOT,
    )
    return json.loads(out.stdout)


if __name__ == "__main__":
    print(json.dumps(hashes_per_second(float(sys.argv[1]))))
