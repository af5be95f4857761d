"""The report: one row per figure, with its ceiling or peer from the same run and the ratio."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench.loader import LoadResult


@dataclass
class Row:
    metric: str
    value: float | None = None  # req/s, or MB for the memory row
    unit: str = "req/s"
    p50_ms: float | None = None
    p99_ms: float | None = None
    reference: str = ""  # what the ceiling/peer is
    reference_value: float | None = None
    goal: str = ""
    goal_ratio: float | None = None  # ratio needed (value / reference >= goal_ratio)
    lower_is_better: bool = False
    errors: int = 0
    timeouts: int = 0
    unfinished: int = 0
    server_cpu: float | None = None  # share of the server core used in the window
    reference_cpu: float | None = None  # the same for the ceiling/peer
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.reference_value:
            return None
        return self.value / self.reference_value

    @property
    def cpu_normalized_ratio(self) -> float | None:
        """Throughput per CPU-second over the reference's: what the ratio would be if neither
        had to share its core with other processes."""
        if self.ratio is None or not self.server_cpu or not self.reference_cpu:
            return None
        return self.ratio * self.reference_cpu / self.server_cpu

    @property
    def met(self) -> bool | None:
        if self.goal_ratio is None or self.ratio is None:
            return None
        if self.lower_is_better:
            return self.ratio <= self.goal_ratio
        return self.ratio >= self.goal_ratio

    @classmethod
    def from_load(cls, metric: str, result: LoadResult, **kw) -> "Row":
        row = cls(metric, value=result.rps, p50_ms=result.p50, p99_ms=result.p99,
                  errors=result.errors, server_cpu=result.server_cpu, **kw)
        if result.errors:
            row.note = (row.note + "; " if row.note else "") + f"{result.errors} errors, e.g. {result.error_sample}"
        if result.timeouts or result.unfinished:
            row.note = (row.note + "; " if row.note else "") + \
                f"{result.timeouts} timeouts, {result.unfinished} unanswered at the end"
        row.timeouts, row.unfinished = result.timeouts, result.unfinished
        return row

    def as_dict(self) -> dict:
        return {**asdict(self), "ratio": self.ratio, "cpu_normalized_ratio": self.cpu_normalized_ratio,
                "met": self.met}


@dataclass
class Report:
    run: dict
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        return row

    def row(self, metric: str) -> Row | None:
        return next((r for r in self.rows if r.metric == metric), None)

    def as_dict(self) -> dict:
        return {"run": self.run, "rows": [r.as_dict() for r in self.rows], "notes": self.notes}

    def markdown(self) -> str:
        head = ["metric", "authgate", "p50 ms", "p99 ms", "ceiling/peer", "peer figure", "ratio", "goal", "met?"]
        lines = [
            "| " + " | ".join(head) + " |",
            "|" + "|".join(["---"] + ["---:"] * 3 + ["---", "---:", "---:", "---", "---"]) + "|",
        ]
        for r in self.rows:
            met = {True: "yes", False: "**no**", None: "—"}[r.met]
            value = f"{_num(r.value)} {r.unit}" if r.value is not None else f"n/a ({r.note})"
            lines.append("| " + " | ".join([
                r.metric, value, _num(r.p50_ms, 2), _num(r.p99_ms, 2), r.reference or "—",
                _num(r.reference_value), f"{r.ratio:.2f}" if r.ratio is not None else "—",
                r.goal or "—", met,
            ]) + " |")
        run = ", ".join(f"{k}: {v}" for k, v in self.run.items())
        out = "\n".join(lines) + "\n\n" + f"Run — {run}\n"
        errs = [f"- {r.metric}: {r.note}" for r in self.rows if r.note and r.value is not None]
        busy = [f"{r.metric} {r.server_cpu:.0%} ({r.value / r.server_cpu:,.0f}/CPU-s)"
                for r in self.rows if r.server_cpu and r.value]
        if busy:
            errs.append("- server CPU share of its core in the window, and throughput per server CPU-second "
                        "(robust to other load on the core): " + "; ".join(busy))
        normalized = [f"{r.metric} {r.cpu_normalized_ratio:.2f}" for r in self.rows if r.cpu_normalized_ratio]
        if normalized:
            errs.append("- ratio per CPU-second (each side's throughput / its CPU share): " + "; ".join(normalized))
        if errs or self.notes:
            out += "\nNotes:\n" + "\n".join(errs + [f"- {n}" for n in self.notes]) + "\n"
        return out

    def write(self, directory: Path) -> tuple[Path, Path]:
        directory.mkdir(parents=True, exist_ok=True)
        md, js = directory / "latest.md", directory / "latest.json"
        md.write_text(self.markdown())
        js.write_text(json.dumps(self.as_dict(), indent=2) + "\n")
        return md, js


def _num(value: float | None, digits: int | None = None) -> str:
    if value is None:
        return "—"
    if digits is not None:
        return f"{value:.{digits}f}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"
