"""Rate limits: 429 with Retry-After, per protocol error shape; shared through Redis across nodes."""
from __future__ import annotations

import uuid

import httpx
import pytest

from authgate.registry import Registry
from authgate.web.app import create_app


@pytest.fixture
def settings_overrides():
    return {"rate_limit_storage": "memory://", "rate_limit_login": "3/minute"}


async def test_login_limited_with_retry_after(client):
    codes = [(await client.post("/api/login", json={"loginId": "a@b.c", "password": "x"})).status_code for _ in range(4)]
    assert codes == [404, 404, 404, 429]
    r = await client.post("/api/login", json={"loginId": "a@b.c", "password": "x"})
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert r.json()["generalErrors"][0]["code"] == "[TooManyRequests]"
    assert (await client.get("/health/alive")).status_code == 200  # other endpoints are not limited


async def test_redis_storage_shares_the_limit_between_nodes(registry):
    redis = pytest.importorskip("redis")
    try:
        with redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1) as probe:
            probe.ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"Redis not reachable at 127.0.0.1:6379: {exc}")
    limit = "2/minute"
    settings = registry.settings.model_copy(update={"rate_limit_storage": "redis://127.0.0.1:6379", "rate_limit_login": limit})
    # Two registries = two nodes sharing one database and one Redis; a unique client address
    # (never contacted: it is only the ASGI scope's label) keeps this test's counters its own.
    client_addr = (f"192.0.2.{uuid.uuid4().int % 250}-{uuid.uuid4().hex[:8]}", 1234)
    nodes = [Registry(settings), Registry(settings)]
    codes = []
    try:
        for _ in range(3):
            for node in nodes:
                app = create_app(settings, node)
                async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=client_addr), base_url="http://idp") as c:
                    codes.append((await c.post("/api/login", json={"loginId": "a@b.c", "password": "x"})).status_code)
    finally:
        for node in nodes:
            await node.close()
    assert codes[:2] == [404, 404] and set(codes[2:]) == {429}
