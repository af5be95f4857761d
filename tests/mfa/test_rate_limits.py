"""Guessing second factors is rate limited per client address, like passwords: the two-factor and
passkey login endpoints answer 429 with Retry-After past the limit (on top of the lockout)."""
from __future__ import annotations

from typing import Any

import httpx
import pytest


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"rate_limit_storage": "memory://", "rate_limit_login": "3/minute", "argon2_memory_kib": 1024,
            "argon2_time_cost": 1}


@pytest.mark.parametrize("path,body", [("/api/two-factor/login", {"twoFactorId": "x", "code": "123456"}),
                                       ("/api/webauthn/login", {"credential": {}})])
async def test_second_factor_guesses_are_rate_limited(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> None:
    codes = [(await client.post(path, json=body)).status_code for _ in range(4)]
    assert 429 not in codes[:3] and codes[3] == 429
    r = await client.post(path, json=body)
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
