"""The whole runner, tiny: `python -m bench` against a real `authgate serve` (subprocess) with a
fraction of a second per phase and no peer. Checks that every row is there with a figure."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ROWS = [
    "POST /api/login",
    "POST /api/jwt/refresh (OneTimeUse)",
    "POST /api/jwt/refresh (OneTimeUse) vs the peer's refresh grant",
    "POST /oauth2/token refresh_token (rotating)",
    "POST /oauth2/token refresh_token (rotating) vs the peer's refresh grant",
    "GET /api/jwt/validate",
    "POST /oauth2/introspect (JWT)",
    "Store GET /api/load-shopping-cart (JWT)",
    "RSS per 100k refresh tokens + SSO sessions",
]


def test_quick_run_without_peer_prints_every_row(tmp_path: Path) -> None:
    # A subprocess: the runner pins itself to core 1, which must not leak into pytest.
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--no-peer", "--duration", "0.5", "--warmup", "0.2",
         "--concurrency", "4", "--memory-tokens", "40", "--memory-seconds", "3", "--out", str(tmp_path),
         "--only", "login,refresh,introspect,store,memory"],
        cwd=REPO, capture_output=True, text=True, timeout=180,
        env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads((tmp_path / "latest.json").read_text())
    rows = {row["metric"]: row for row in data["rows"]}
    assert list(rows) == ROWS, proc.stderr[-3000:]
    for name in ROWS[:-1]:
        row = rows[name]
        assert row["value"] is not None, f"{name}: {row['note']}"
        assert row["value"] > 0 and row["errors"] == 0, row
        assert 0 < row["p50_ms"] <= row["p99_ms"], row
    login = rows["POST /api/login"]
    assert login["reference_value"] > 0 and login["ratio"] > 0
    assert "peer skipped" in rows["POST /api/jwt/refresh (OneTimeUse)"]["reference"]
    second = rows["POST /api/jwt/refresh (OneTimeUse) vs the peer's refresh grant"]
    assert "peer skipped" in second["reference"] and second["goal"] == ">= 1.2x"
    memory = rows["RSS per 100k refresh tokens + SSO sessions"]
    assert math.isfinite(memory["value"]) and memory["unit"] == "MB"
    table = proc.stdout
    for name in ROWS:
        assert f"| {name} |" in table
    assert (tmp_path / "latest.md").read_text() in table


NEW_ROWS = [
    "TOTP login (/api/login 242 + /api/two-factor/login)",
    "passkey login (/api/webauthn/start + /api/webauthn/login)",
    "overload: POST /api/jwt/refresh (OneTimeUse) at 8x the saturating connections",
    "overload: GET /api/jwt/validate at 8x the saturating connections",
    "under a wrong-password flood: POST /api/jwt/refresh (OneTimeUse)",
    "under a wrong-password flood: GET /api/jwt/validate",
    "at scale x0.0002: POST /api/login",
    "at scale x0.0002: POST /api/jwt/refresh (OneTimeUse)",
    "at scale x0.0002: GET /api/jwt/validate",
    "at scale x0.0002: POST /oauth2/introspect (JWT)",
    "database size per 1M users (with a registration each)",
    "database size per 1M refresh tokens",
    "janitor: backlog purge of the loaded database",
    "janitor under refresh churn: used size after the last purge",
    "wrong-password flood, rate limit on: 429 answers",
    "RSS after 600 mixed requests",
]


def test_scale_overload_mfa_and_leak_phases_print_every_row(tmp_path: Path) -> None:
    """The phases of issue 16 with a tiny scale factor: each row has its figure and, where it is
    compared, the figure it is compared with; nothing about speed is asserted."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--no-peer", "--duration", "0.4", "--warmup", "0.1",
         "--concurrency", "4", "--only", "mfa,overload,leak", "--scale", "--scale-factor", "0.0002",
         "--churn-cycles", "2", "--leak-requests", "600", "--out", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=400,
        env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads((tmp_path / "latest.json").read_text())
    rows = {row["metric"]: row for row in data["rows"]}
    assert sorted(rows) == sorted(NEW_ROWS), proc.stderr[-3000:]
    for name, row in rows.items():
        assert row["value"] is not None, f"{name}: {row['note']}"
        assert row["goal"], name
        assert f"| {name} |" in proc.stdout
    for name in NEW_ROWS[:10]:
        assert rows[name]["value"] > 0 and rows[name]["errors"] == 0, rows[name]
        assert rows[name]["reference_value"] > 0 and rows[name]["ratio"] is not None, rows[name]
        assert rows[name]["timeouts"] == 0 and rows[name]["unfinished"] == 0, rows[name]
    assert rows["database size per 1M refresh tokens"]["value"] > 0
    # The flood passed the default limit (120/minute per IP): the rest were answered 429.
    limited = rows["wrong-password flood, rate limit on: 429 answers"]
    assert limited["value"] > 0 and "429" in limited["note"], limited
    # The backlog purge deleted the loaded expired refresh tokens.
    assert "refresh tokens: 0 deleted" not in rows["janitor: backlog purge of the loaded database"]["note"]
