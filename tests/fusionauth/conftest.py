"""Helpers for the admin API tests: a cheap password hash and an API key limited to one endpoint."""
from __future__ import annotations

from typing import Any

import httpx
import pytest

from authgate.registry import Registry

LIMITED_KEY = "limited-api-key-only-for-login-0123456789"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # argon2id still, but cheap: these tests are about the API, not the hash cost.
    return {"argon2_memory_kib": 1024, "argon2_time_cost": 1}


@pytest.fixture
async def limited(registry: Registry) -> dict[str, str]:
    """Headers of a valid key that may only call POST /api/login."""
    await registry.db.api_keys.create(LIMITED_KEY, {"permissions": {"endpoints": {"/api/login": ["POST"]}}})
    return {"Authorization": LIMITED_KEY}


async def assert_refused(client: httpx.AsyncClient, method: str, path: str, limited: dict[str, str],
                         body: Any = None) -> None:
    """No key, a wrong key and a key without this endpoint's permission are all 401."""
    for headers in ({}, {"Authorization": "not-a-key-" + "x" * 30}, limited):
        r = await client.request(method, path, json=body, headers=headers)
        assert r.status_code == 401, (method, path, headers, r.text)
        assert r.json()["generalErrors"][0]["code"] == "[Unauthorized]"


def field_codes(response: httpx.Response) -> dict[str, list[str]]:
    return {f: [e["code"] for e in errs] for f, errs in response.json().get("fieldErrors", {}).items()}
