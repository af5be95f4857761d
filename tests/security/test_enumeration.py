"""User enumeration on /api/login: an unknown user and a wrong password look the same."""
from __future__ import annotations

import statistics
import time
from typing import Any

import pytest

from tests.factories import make_user

UNKNOWN = {"loginId": "nobody@example.com", "password": "wrong-password"}
WRONG = {"loginId": "richard@example.com", "password": "wrong-password"}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # The production argon2 cost (the timing claim is about it); no lockout during the measurement.
    return {"failed_login_threshold": 10_000}


async def test_unknown_user_and_wrong_password_get_the_same_answer(client, registry):
    """CWE-204 (observable response discrepancy): same status, headers that matter and body."""
    await make_user(registry)
    unknown, wrong = await client.post("/api/login", json=UNKNOWN), await client.post("/api/login", json=WRONG)
    assert unknown.status_code == wrong.status_code == 404
    assert unknown.content == wrong.content == b""
    assert unknown.headers.get("content-type") == wrong.headers.get("content-type")
    assert "set-cookie" not in unknown.headers and "set-cookie" not in wrong.headers


async def test_unknown_user_and_wrong_password_take_the_same_time(client, registry):
    """CWE-208 (observable timing discrepancy): unknown user vs wrong password within 5%.

    What is compared is the work each answer costs: the process's CPU time (argon2 in its thread
    pool, the database driver, the app), because wall-clock time on a CI box shared with other
    jobs is dominated by them. 20 interleaved pairs per round (order alternating), compared by the
    median of per-pair ratios and by the ratio of medians; up to three rounds. A real oracle (a
    skipped argon2 verify, a skipped database write) is off in the same direction every round.
    """
    await make_user(registry)

    async def timed(body: dict[str, str]) -> float:
        started = time.process_time()
        r = await client.post("/api/login", json=body)
        elapsed = time.process_time() - started
        assert r.status_code == 404
        return elapsed

    await timed(WRONG)  # the first failure inserts the counter row; later ones update it
    rounds = []
    for _ in range(3):
        unknown: list[float] = []
        wrong: list[float] = []
        for i in range(20):
            if i % 2:
                unknown.append(await timed(UNKNOWN))
                wrong.append(await timed(WRONG))
            else:
                wrong.append(await timed(WRONG))
                unknown.append(await timed(UNKNOWN))
        pairwise = statistics.median(u / w for u, w in zip(unknown, wrong))
        of_medians = statistics.median(unknown) / statistics.median(wrong)
        rounds.append((round(pairwise, 3), round(of_medians, 3)))
        if 0.95 <= pairwise <= 1.05 and 0.95 <= of_medians <= 1.05:
            return
    pytest.fail(f"unknown/wrong CPU time ratios (pairwise median, ratio of medians) per round: {rounds}")
