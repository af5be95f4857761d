"""The front door in front of FastAPI's stack (web/fastlane.py): which endpoints it serves, and that
nothing a client sees changes -- compared, request by request, with the same app without it."""
from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY

from authgate.web.app import create_app
from authgate.web.fastlane import App
from tests.conftest import API_KEY, IDP
from tests.factories import make_application, make_user

PLAIN = {"/api/jwt/validate": {"GET"}, "/api/jwt/refresh": {"POST"}, "/oauth2/token": {"POST"},
         "/oauth2/introspect": {"POST"}}
ADMIN_PREFIXES = ("/api/user", "/api/application", "/api/key", "/api/api-key")


@pytest.fixture
def backend() -> str:
    return "sqlite"  # routing does not depend on the database


def _plain(app: App) -> dict[str, set[str]]:
    """Path -> methods the front door answers itself."""
    served: dict[str, set[str]] = {}
    for route in app.plain:
        served.setdefault(route.path, set()).update(route.methods or ())
    return served


@pytest.fixture
async def without_plain(registry) -> AsyncIterator[httpx.AsyncClient]:
    """The same app with FastAPI's routes alone: the behaviour to preserve."""
    app = create_app(registry.settings, registry)
    app.plain = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=IDP) as c:
        yield c


async def test_request_only_endpoints_are_served_by_the_front_door(registry):
    served = _plain(create_app(registry.settings, registry))
    for path, methods in PLAIN.items():
        assert served[path] == methods, path
    # Methods it does not serve go on to FastAPI's routes, which decide (405 with Allow).
    assert "GET" not in served["/oauth2/token"] and "HEAD" not in served["/api/jwt/validate"]


async def test_no_endpoint_behind_an_api_key_is_served_by_the_front_door(registry, client):
    served = _plain(create_app(registry.settings, registry))
    assert served, "nothing installed"
    # Public under /api/user: a change-password id, a verification id or the user's own JWT is the
    # credential (an API key is only one of the ways in), so the front door may serve them.
    public = {"/api/user/change-password", "/api/user/verify-email"}
    assert not [p for p in served if p.startswith(ADMIN_PREFIXES) and p not in public], sorted(served)
    assert served["/api/user/verify-email"] == {"POST"}  # PUT (re-send) is behind the API key
    # Same path, two guards: POST /api/jwt/refresh is public, GET lists tokens for an API key.
    assert served["/api/jwt/refresh"] == {"POST"}
    assert (await client.get("/api/jwt/refresh")).status_code == 401
    # Admin endpoints that read only the request themselves, guarded by their router's API key.
    for method, path in [("GET", "/api/user"), ("GET", "/api/user/search"), ("POST", "/api/user/search"),
                         ("POST", "/api/user/import"), ("GET", "/api/key"), ("GET", "/api/api-key")]:
        assert (await client.request(method, path, json={})).status_code == 401, (method, path)
    listed = await client.get("/api/jwt/refresh", headers={"Authorization": API_KEY})
    assert listed.status_code == 400 and "userId" in listed.json()["fieldErrors"]  # past the key check
    found = await client.get("/api/user", headers={"Authorization": API_KEY}, params={"email": "nobody@example.com"})
    assert found.status_code == 404


def _seen(r: httpx.Response) -> tuple[Any, ...]:
    headers = {k: v for k, v in r.headers.items() if k not in ("date", "content-length", "x-request-id")}  # ids differ per request
    return r.status_code, headers, r.content


REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("HEAD", "/api/jwt/validate", {}),
    ("OPTIONS", "/api/jwt/validate", {}),
    ("GET", "/api/jwt/validate", {}),
    ("GET", "/api/jwt/validate", {"headers": {"Authorization": "Bearer not.a.jwt"}}),
    ("GET", "/oauth2/token", {}),
    ("HEAD", "/oauth2/token", {}),
    ("PUT", "/api/jwt/refresh", {"json": {}}),
    ("POST", "/api/jwt/refresh", {"json": {}}),
    ("POST", "/api/jwt/refresh", {"json": {"refreshToken": "nope"}}),
    ("POST", "/oauth2/token", {"data": {"grant_type": "refresh_token", "refresh_token": "nope"}}),
    ("POST", "/oauth2/token", {"data": {"grant_type": "nonsense"}}),
    ("POST", "/oauth2/introspect", {"data": {"token": "x"}}),
    ("GET", "/api/jwt/refresh", {}),
]


async def test_answers_are_the_same_as_fastapi_routes_alone(client, without_plain):
    for method, path, kw in REQUESTS:
        fast, slow = await client.request(method, path, **kw), await without_plain.request(method, path, **kw)
        assert _seen(fast) == _seen(slow), (method, path)
    # And what that behaviour is, where it matters: FastAPI's 405s, not Starlette's HEAD-for-GET.
    head = await client.head("/api/jwt/validate")
    assert head.status_code == 405 and head.headers["allow"] == "GET"
    assert (await client.get("/oauth2/token")).status_code == 405
    assert (await client.put("/api/jwt/refresh", json={})).headers["allow"] == "POST"


async def test_a_real_token_validates_and_refreshes_the_same_way(client, without_plain, registry):
    app = await make_application(registry, jwtConfiguration={"refreshTokenUsagePolicy": "Reusable"})
    await make_user(registry, apps=[app])
    login = await client.post("/api/login", json={"loginId": "richard@example.com", "password": "password",
                                                  "applicationId": app["id"]})
    client.cookies.clear()
    bearer = {"Authorization": "Bearer " + login.json()["token"]}
    fast, slow = await client.get("/api/jwt/validate", headers=bearer), await without_plain.get("/api/jwt/validate", headers=bearer)
    assert fast.status_code == 200 and fast.json() == slow.json()
    assert fast.json()["jwt"]["applicationId"] == app["id"]
    refreshed = await client.post("/api/jwt/refresh", json={"refreshToken": login.json()["refreshToken"]})
    client.cookies.clear()
    assert refreshed.status_code == 200 and refreshed.json()["refreshToken"] == login.json()["refreshToken"]


async def test_openapi_document_is_unchanged(client, without_plain):
    doc = (await client.get("/openapi.json")).json()
    assert {"/oauth2/token", "/api/jwt/validate", "/api/jwt/refresh", "/oauth2/introspect"} <= set(doc["paths"])
    assert "post" in doc["paths"]["/oauth2/token"] and "get" in doc["paths"]["/api/jwt/validate"]
    assert doc == (await without_plain.get("/openapi.json")).json()


def _count(route: str, status: str) -> float:
    return REGISTRY.get_sample_value("authgate_http_requests_total",
                                     {"method": "GET", "route": route, "status": status}) or 0.0


async def test_errors_in_front_door_endpoints_use_the_application_handlers(client, monkeypatch):
    """Exceptions from an endpoint the front door serves are rendered by the application's handlers:
    an OAuth error in RFC 6749's shape, an unexpected one as a bare 500 that leaks nothing."""
    r = await client.post("/oauth2/token", data={})
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    assert r.headers["cache-control"] == "no-store"

    async def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("secret detail")

    # the header is read by oauth2/bearer.py, the cookie by jwt_api itself
    monkeypatch.setattr("authgate.oauth2.bearer.validate_access_token", broken)
    monkeypatch.setattr("authgate.fusionauth.jwt_api.validate_access_token", broken)
    r = await client.get("/api/jwt/validate", headers={"Authorization": "Bearer a.b.c"})
    assert r.status_code == 500
    assert r.json() == {"generalErrors": [{"code": "[InternalError]", "message": "An unexpected error occurred."}]}
    assert "secret" not in r.text


async def test_metrics_label_plain_requests_by_their_route(client):
    before, unmatched = _count("/api/jwt/validate", "401"), _count("unmatched", "401")
    assert (await client.get("/api/jwt/validate")).status_code == 401
    assert _count("/api/jwt/validate", "401") == before + 1
    assert _count("unmatched", "401") == unmatched
    metrics = (await client.get("/metrics")).text
    assert f'authgate_http_requests_total{{method="GET",route="/api/jwt/validate",status="401"}} {before + 1}' in metrics


async def test_a_wrong_method_on_an_oauth_endpoint_says_which_are_allowed(client):
    """RFC 9110 section 15.5.6: a 405 lists the allowed methods, also in RFC 6749's error shape."""
    r = await client.get("/oauth2/token")
    assert r.status_code == 405 and r.headers.get("allow") == "POST"
    assert r.json()["error"] == "invalid_request" and r.headers.get("cache-control") == "no-store"
