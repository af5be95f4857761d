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
    "POST /oauth2/token refresh_token (rotating)",
    "GET /api/jwt/validate",
    "POST /oauth2/introspect (JWT)",
    "Store GET /api/load-shopping-cart (JWT)",
    "RSS per 100k refresh tokens + SSO sessions",
]


def test_quick_run_without_peer_prints_every_row(tmp_path: Path) -> None:
    # A subprocess: the runner pins itself to core 1, which must not leak into pytest.
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--no-peer", "--duration", "0.5", "--warmup", "0.2",
         "--concurrency", "4", "--memory-tokens", "40", "--memory-seconds", "3", "--out", str(tmp_path)],
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
    memory = rows["RSS per 100k refresh tokens + SSO sessions"]
    assert math.isfinite(memory["value"]) and memory["unit"] == "MB"
    table = proc.stdout
    for name in ROWS:
        assert f"| {name} |" in table
    assert (tmp_path / "latest.md").read_text() in table
