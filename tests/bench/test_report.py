"""Ratios and the met? column, in markdown and JSON."""
from __future__ import annotations

import json

from bench.loader import LoadResult
from bench.report import Report, Row


def test_ratio_and_goal_higher_is_better() -> None:
    row = Row("refresh", value=300.0, reference_value=200.0, goal=">= 1.0x", goal_ratio=1.0)
    assert row.ratio == 1.5 and row.met is True
    assert Row("x", value=100.0, reference_value=200.0, goal_ratio=1.0).met is False


def test_lower_is_better_and_missing_reference() -> None:
    assert Row("mem", value=60.0, reference_value=50.0, goal_ratio=1.0, lower_is_better=True).met is False
    assert Row("mem", value=10.0, reference_value=50.0, goal_ratio=1.0, lower_is_better=True).met is True
    row = Row("refresh", value=300.0, reference="peer unavailable: npm", goal_ratio=1.0)
    assert row.ratio is None and row.met is None


def test_markdown_and_json_carry_every_row(tmp_path) -> None:
    result = LoadResult(duration=2.0, ok=10, errors=1, latencies_ms=[1.0] * 10, error_sample="400 b''")
    report = Report(run={"mode": "quick"})
    report.add(Row.from_load("POST /api/login", result, reference="argon2", reference_value=10.0,
                             goal=">= 0.90x", goal_ratio=0.9))
    report.add(Row("GET /api/jwt/validate", note="RuntimeError: 404"))
    md = report.markdown()
    assert "| POST /api/login | 5.00 req/s | 1.00 | 1.00 | argon2 | 10.0 | 0.50 | >= 0.90x | **no** |" in md
    assert "n/a (RuntimeError: 404)" in md
    assert "1 errors, e.g. 400" in md
    md_path, json_path = report.write(tmp_path)
    data = json.loads(json_path.read_text())
    assert [r["metric"] for r in data["rows"]] == ["POST /api/login", "GET /api/jwt/validate"]
    assert data["rows"][0]["ratio"] == 0.5 and data["rows"][0]["met"] is False
    assert md_path.read_text() == md


def test_cpu_normalized_ratio_discounts_a_shared_core() -> None:
    # Half the throughput while getting half the core: as efficient as the peer.
    row = Row("refresh", value=100.0, reference_value=200.0, server_cpu=0.5, reference_cpu=1.0, goal_ratio=1.0)
    assert row.ratio == 0.5 and row.met is False
    assert row.cpu_normalized_ratio == 1.0
    assert Row("refresh", value=100.0, reference_value=200.0).cpu_normalized_ratio is None


def test_memory_slope_is_least_squares() -> None:
    from bench.scenarios import slope

    assert slope([(0, 100.0), (10, 110.0), (20, 120.0)]) == 1.0
    assert slope([(0, 100.0), (10, 100.0), (20, 104.0), (30, 104.0)]) == 0.16
    assert slope([(5, 1.0), (5, 2.0)]) == 0.0
