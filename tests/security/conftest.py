"""Hostile-input tests: a cheap (still argon2id) hash unless a test module needs the real cost."""
from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"argon2_memory_kib": 1024, "argon2_time_cost": 1}
