"""The factor x attack matrix as users meet it: the README's table says, cell by cell, what the
pinned matrix (test_factor_matrix.EXPECTED) measures, and `authgate attacks` runs those columns
unless told `--setup none`. No browser here: the CLI's runner is replaced by a recorder."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from authgate import cli
from authgate_demo.attacks import harness
from authgate_demo.attacks.factors import SETUPS
from authgate_demo.attacks.matrix import Matrix
from authgate_demo.attacks.report import MARK
from tests.attacks.test_factor_matrix import EXPECTED

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_table() -> tuple[list[str], dict[str, list[str]]]:
    text = README.read_text(encoding="utf-8")
    start = text.index("| attack \\ login setup |")
    lines = text[start:].split("\n\n", 1)[0].splitlines()
    header = [c.strip() for c in lines[0].strip("|").split("|")][1:]
    rows = {}
    for line in lines[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        found = re.match(r"(f\d)\.", cells[0])
        assert found, line
        rows[found.group(1)] = cells[1:]
    return header, rows


def test_the_readme_table_is_the_pinned_matrix() -> None:
    header, rows = readme_table()
    assert header == list(SETUPS)
    assert sorted(rows) == sorted(scenario.split("-")[0] for scenario in EXPECTED)
    for scenario, expected in EXPECTED.items():
        assert rows[scenario.split("-")[0]] == [MARK[status] for status in expected], scenario


@pytest.mark.parametrize("args,setups", [([], list(SETUPS)), (["--setup", "passkey"], ["passkey"]), (["--setup", "none"], [])])
def test_authgate_attacks_runs_the_factor_matrix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                 args: list[str], setups: list[str]) -> None:
    seen: dict[str, Any] = {}

    async def recorder(modes: Any, only: Any, **kwargs: Any) -> Matrix:
        seen.update(modes=list(modes), **kwargs)
        return Matrix([], [], [], 0.0, {})

    monkeypatch.setattr(harness, "run_matrix", recorder)
    result = CliRunner().invoke(cli.app, ["attacks", "--mode", "code-pkce-cookie", "--out", str(tmp_path), *args])
    assert result.exit_code == 0, result.output
    assert seen["setups"] == setups and seen["modes"] == ["code-pkce-cookie"]
    bad = CliRunner().invoke(cli.app, ["attacks", "--setup", "yubikey-only", "--out", str(tmp_path)])
    assert bad.exit_code != 0 and "unknown setup" in bad.output
