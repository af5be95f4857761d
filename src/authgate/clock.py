"""The one clock every expiry check uses, so tests move time instead of sleeping."""
from __future__ import annotations

import time


class Clock:
    def __init__(self) -> None:
        self._offset = 0.0

    def now(self) -> float:
        """Seconds since the epoch."""
        return time.time() + self._offset

    def now_ms(self) -> int:
        """Milliseconds since the epoch: FusionAuth's 'instant'."""
        return int(self.now() * 1000)

    def advance(self, seconds: float) -> None:
        self._offset += seconds


clock = Clock()
