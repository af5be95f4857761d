"""Edge behaviour every endpoint shares: body cap, CORS, hidden internals, health, metrics."""
from __future__ import annotations

from tests.factories import make_application

STORE = "http://store.authgate.localhost:8081"


async def test_oversized_body_refused_before_reading(client):
    r = await client.post("/api/login", content=b"{" + b" " * 2_000_000 + b"}", headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["generalErrors"][0]["code"] == "[RequestTooLarge]"


async def test_deeply_nested_json_is_a_400_not_a_crash(client):
    bomb = b"[" * 50000 + b"]" * 50000
    r = await client.post("/api/jwt/refresh", content=bomb, headers={"Content-Type": "application/json"})
    assert r.status_code in (400, 413)


async def test_cors_echoes_only_registered_origins(client, registry):
    await make_application(registry, oauthConfiguration={"authorizedOriginURLs": [STORE]})
    pre = await client.options("/api/login", headers={"Origin": STORE, "Access-Control-Request-Method": "POST",
                                                      "Access-Control-Request-Headers": "content-type"})
    assert pre.status_code == 204
    assert pre.headers["access-control-allow-origin"] == STORE
    assert pre.headers["access-control-allow-credentials"] == "true"
    r = await client.post("/api/login", json={}, headers={"Origin": STORE})
    assert r.headers["access-control-allow-origin"] == STORE
    evil = await client.options("/api/login", headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
    assert evil.status_code == 403 and "access-control-allow-origin" not in evil.headers
    r = await client.post("/api/login", json={}, headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in r.headers
    r = await client.post("/api/login", json={}, headers={"Origin": "null"})
    assert "access-control-allow-origin" not in r.headers


async def test_unknown_route_and_method_use_fusionauth_shape(client):
    r = await client.get("/api/does-not-exist")
    assert r.status_code == 404 and r.json()["generalErrors"]
    r = await client.put("/api/login", json={})
    assert r.status_code == 405


async def test_internal_errors_never_leak(client, registry, monkeypatch):
    async def boom(*_a, **_k):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(registry.db.users, "find_by_login_id", boom)
    from httpx import ASGITransport, AsyncClient

    from authgate.web.app import create_app

    async with AsyncClient(transport=ASGITransport(app=create_app(registry.settings, registry), raise_app_exceptions=False),
                           base_url="http://idp") as c:
        r = await c.post("/api/login", json={"loginId": "a@b.c", "password": "x"})
    assert r.status_code == 500 and "secret" not in r.text and "Traceback" not in r.text


async def test_health_and_metrics(client):
    assert (await client.get("/health/alive")).json() == {"status": "ok"}
    assert (await client.get("/health/ready")).json() == {"status": "ok"}
    await client.post("/api/login", json={})
    metrics = (await client.get("/metrics")).text
    assert 'authgate_http_requests_total{method="POST",route="/api/login",status="400"}' in metrics
