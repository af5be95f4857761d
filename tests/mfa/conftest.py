"""MFA test helpers: cheap password hashing, a user, and TOTP codes computed like an app would."""
from __future__ import annotations

from typing import Any

import pytest

from authgate.clock import clock
from authgate.mfa import totp


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"argon2_memory_kib": 1024, "argon2_time_cost": 1, "mfa_secret_key": "test-mfa-sealing-key"}


def code_now(secret: bytes, steps_from_now: int = 0) -> str:
    """What an authenticator app shows now (or `steps_from_now` steps later/earlier)."""
    return totp.code_at(secret, int(clock.now()) // totp.STEP_SECONDS + steps_from_now)


def next_step() -> None:
    """Move the clock to the start of the next 30-second step (a new code)."""
    clock.advance(totp.STEP_SECONDS - clock.now() % totp.STEP_SECONDS + 0.01)


@pytest.fixture(autouse=True)
def _start_of_a_time_step(_reset_clock: object) -> None:
    """Each test starts at the beginning of a 30-second step, so a code computed "now" stays the
    current one for the whole test unless the test moves the clock itself."""
    next_step()
