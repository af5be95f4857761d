"""The hashing threads yield the core to the event loop (authgate/passwords.py): a flood of
wrong passwords must not halve the rate of token refreshes and validations on the same core."""
from __future__ import annotations

import asyncio
import os
import sys
import threading

import pytest

from authgate.passwords import HASH_THREAD_NICENESS, PasswordHasher

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="per-thread priorities are Linux's")


def _own_niceness() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_hashing_threads_run_below_the_event_loop_and_still_hash() -> None:
    hasher = PasswordHasher(memory_kib=1024, time_cost=1, threads=2)
    try:
        loop_nice = _own_niceness()

        async def both() -> tuple[str, bool]:
            stored = await hasher.hash("correct horse")
            ok, _ = await hasher.verify(stored, "correct horse")
            return stored, ok

        stored, ok = asyncio.run(both())
        assert ok and stored.startswith("$argon2id$")
        worker_nice = hasher._pool.submit(_own_niceness).result(timeout=10)
        assert worker_nice == min(19, loop_nice + HASH_THREAD_NICENESS)
        assert _own_niceness() == loop_nice  # the loop's thread (and the process) keep their priority
    finally:
        hasher.close()
