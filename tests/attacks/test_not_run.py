"""A scenario that cannot run is `not run` with the reason -- never `blocked`; n/a cells stay n/a."""
from __future__ import annotations

import asyncio

from authgate_demo.attacks import harness
from authgate_demo.attacks.matrix import NA, NOT_RUN


def test_missing_chromium_is_not_run_with_reason(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(harness, "CHROMIUM", str(tmp_path / "no-chromium"))
    matrix = asyncio.run(harness.run_matrix(["bff", "native-refresh-cookie"], data_dir=tmp_path))
    assert {c.status for c in matrix.cells} == {NA, NOT_RUN}
    for cell in matrix.cells:
        if cell.status == NOT_RUN:
            assert "Chromium not found" in cell.reason
    assert matrix.cell("06-refresh-cookie-clobbering", "bff").status == NA
    assert matrix.cell("06-refresh-cookie-clobbering", "native-refresh-cookie").status == NOT_RUN


def test_missing_chromium_leaves_the_factor_matrix_not_run(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(harness, "CHROMIUM", str(tmp_path / "no-chromium"))
    matrix = asyncio.run(harness.run_matrix([], data_dir=tmp_path))
    assert matrix.factors is not None and matrix.factors.cells
    assert matrix.factors.cell("f4-stolen-recovery-code", "password").status == NA
    assert matrix.factors.cell("f1-leaked-password-replay", "passkey").status == NOT_RUN
    assert all("Chromium not found" in c.reason for c in matrix.factors.cells if c.status == NOT_RUN)


def test_missing_chromium_leaves_the_lifecycle_attacks_not_run(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(harness, "CHROMIUM", str(tmp_path / "no-chromium"))
    matrix = asyncio.run(harness.run_matrix([], data_dir=tmp_path, setups=()))
    assert matrix.lifecycle is not None and matrix.lifecycle.cells
    assert all(c.status == NOT_RUN and "Chromium not found" in c.reason for c in matrix.lifecycle.cells)
