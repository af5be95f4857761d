"""X-Forwarded-Proto / X-Forwarded-For are believed only from AUTHGATE_TRUSTED_PROXIES (web/proxy.py).

Believed from anyone, a client could pick the address its rate limit counts against, and
whether the IdP's cookies are marked Secure.
"""
from __future__ import annotations

from typing import Any

import httpx
import pytest

from authgate.registry import Registry
from authgate.web.app import create_app
from tests.conftest import IDP
from tests.factories import make_application, make_user

PROXY = ("10.0.0.5", 40000)  # inside the trusted network below
STRANGER = ("198.51.100.7", 40000)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"trusted_proxies": ["10.0.0.0/24"], "rate_limit_storage": "memory://", "rate_limit_login": "2/minute"}


def _client(registry: Registry, peer: tuple[str, int]) -> httpx.AsyncClient:
    app = create_app(registry.settings, registry)  # its edge middleware follows the registry's settings
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=peer), base_url=IDP)


async def _refresh_cookie(registry: Registry, peer: tuple[str, int], headers: dict[str, str]) -> str:
    app = await make_application(registry, name=f"App {peer[0]}")
    await make_user(registry, email=f"u{len(headers)}-{peer[0]}@example.com", apps=[app])
    async with _client(registry, peer) as c:
        r = await c.post("/api/login", headers=headers, json={"loginId": f"u{len(headers)}-{peer[0]}@example.com",
                                                              "password": "password", "applicationId": app["id"]})
    assert r.status_code == 200, r.text
    # over https the name carries the __Host- prefix (web/cookies.py)
    return next(v for k, v in r.headers.multi_items()
                if k == "set-cookie" and v.startswith(("refresh_token=", "__Host-refresh_token=")))


async def test_forwarded_https_from_a_trusted_proxy_makes_cookies_secure(registry: Registry) -> None:
    forwarded = await _refresh_cookie(registry, PROXY, {"X-Forwarded-Proto": "https"})
    assert "Secure" in forwarded and forwarded.startswith("__Host-")
    assert "Secure" not in await _refresh_cookie(registry, PROXY, {})


async def test_forwarded_https_from_anyone_else_is_ignored(registry: Registry) -> None:
    assert "Secure" not in await _refresh_cookie(registry, STRANGER, {"X-Forwarded-Proto": "https"})


async def test_rate_limits_count_the_forwarded_client_only_behind_a_trusted_proxy(registry: Registry) -> None:
    login = {"loginId": "nobody@example.com", "password": "x"}
    async with _client(registry, PROXY) as c:
        # Three clients behind the proxy: each has its own budget of two.
        codes = [(await c.post("/api/login", json=login, headers={"X-Forwarded-For": f"203.0.113.{i}, 10.0.0.9"})).status_code
                 for i in (1, 2, 3) for _ in range(2)]
        assert codes == [404] * 6
        # A client cannot escape its budget by writing its own X-Forwarded-For in front.
        spoofed = await c.post("/api/login", json=login, headers={"X-Forwarded-For": "192.0.2.99, 203.0.113.1"})
        assert spoofed.status_code == 429
    async with _client(registry, STRANGER) as c:
        # A direct client naming other addresses is counted as itself.
        codes = [(await c.post("/api/login", json=login, headers={"X-Forwarded-For": f"203.0.113.{50 + i}"})).status_code
                 for i in range(3)]
        assert codes == [404, 404, 429]


async def test_without_trusted_proxies_the_headers_change_nothing(registry: Registry) -> None:
    """The default: nobody is trusted, not even loopback (uvicorn's own default trusted 127.0.0.1)."""
    registry.settings = registry.settings.model_copy(update={"trusted_proxies": []})
    assert "Secure" not in await _refresh_cookie(registry, ("127.0.0.1", 40000), {"X-Forwarded-Proto": "https"})
