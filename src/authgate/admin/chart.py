"""Logins per hour as bars of a server-rendered SVG (no script, no inline style: CSS classes).

The numbers are also given as a table for screen readers (overview.html)."""
from __future__ import annotations

import datetime
from dataclasses import dataclass

HOUR_MS = 3_600_000
WIDTH, HEIGHT, TOP, BOTTOM = 720, 180, 16, 24


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    count: int
    label: str


@dataclass(frozen=True)
class Chart:
    hours: int
    source: str
    bars: list[Bar]
    peak: int
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def rows(self) -> list[tuple[str, int]]:
        return [(b.label, b.count) for b in self.bars]

    @property
    def baseline(self) -> int:
        return HEIGHT - BOTTOM


def hourly(per_hour: dict[int, int], now_ms: int, hours: int, source: str) -> Chart:
    """Bars for the last `hours` whole hours, the current one last; `per_hour` maps an hour number
    (epoch ms // 1 h) to its count."""
    last = now_ms // HOUR_MS
    start = (last - hours + 1) * HOUR_MS
    counts = [per_hour.get(last - hours + 1 + i, 0) for i in range(hours)]
    peak = max(counts) or 1
    slot = WIDTH / hours
    usable = HEIGHT - TOP - BOTTOM
    bars = []
    for i, n in enumerate(counts):
        h = usable * n / peak
        when = datetime.datetime.fromtimestamp((start + i * HOUR_MS) / 1000, datetime.timezone.utc)
        bars.append(Bar(x=round(i * slot + 2, 1), y=round(HEIGHT - BOTTOM - h, 1), width=round(slot - 4, 1),
                        height=round(h, 1), count=n, label=when.strftime("%m-%d %H:00")))
    return Chart(hours, source, bars, max(counts))
