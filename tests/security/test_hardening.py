"""Smaller findings of the penetration test (issue 15): the API-key default of /api/login, bounded
token lifetimes, the trailing-slash redirect and a forged Host, and who may read /metrics."""
from __future__ import annotations

from typing import Any

import httpx
import pytest

from authgate.console import CONSOLE_APP_ID
from authgate.web.app import create_app
from tests.factories import make_user

BIG = 10**18


async def _app(client: httpx.AsyncClient, admin: dict[str, str], **doc: Any) -> httpx.Response:
    return await client.post("/api/application", headers=admin, json={"application": {"name": "Shop", **doc}})


async def test_an_application_that_does_not_opt_out_needs_an_api_key_to_log_in(client, registry, admin):
    """FusionAuth's `loginConfiguration.requireAuthentication` defaults to true: an application
    created without it may not be logged in to anonymously; one that sets false (a SPA) may."""
    default = (await _app(client, admin)).json()["application"]
    spa = (await _app(client, admin, loginConfiguration={"requireAuthentication": False})).json()["application"]
    user = await make_user(registry)
    for app in (default, spa):
        await registry.db.registrations.create(user["id"], app["id"], {"roles": []})
    body = {"loginId": "richard@example.com", "password": "password"}
    anonymous = await client.post("/api/login", json={**body, "applicationId": default["id"]})
    assert anonymous.status_code == 401 and "token" not in anonymous.text
    assert (await client.post("/api/login", json={**body, "applicationId": default["id"]}, headers=admin)).status_code == 200
    assert (await client.post("/api/login", json={**body, "applicationId": spa["id"]})).status_code == 200


@pytest.mark.parametrize("jwt_config", [
    {"timeToLiveInSeconds": BIG},
    {"timeToLiveInSeconds": 0},
    {"refreshTokenTimeToLiveInMinutes": BIG},
    {"refreshTokenSlidingWindowConfiguration": {"maximumTimeToLiveInMinutes": BIG}},
])
async def test_token_lifetimes_are_bounded_at_input(client, registry, admin, jwt_config):
    """10**18 seconds was stored and gave a 500 at the next login; now a field error and nothing stored."""
    before = await registry.db.applications.list()
    response = await _app(client, admin, jwtConfiguration=jwt_config)
    assert response.status_code == 400, response.text
    [field] = response.json()["fieldErrors"]
    assert field.startswith("application.jwtConfiguration.")
    # Only the admin console's own application, which authgate creates at start-up.
    assert [a["id"] for a in await registry.db.applications.list()] == [CONSOLE_APP_ID]


async def test_a_bounded_lifetime_is_accepted_and_used(client, registry, admin):
    app = (await _app(client, admin, jwtConfiguration={"timeToLiveInSeconds": 365 * 24 * 3600},
                      loginConfiguration={"requireAuthentication": False})).json()["application"]
    user = await make_user(registry)
    await registry.db.registrations.create(user["id"], app["id"], {"roles": []})
    login = await client.post("/api/login", json={"loginId": "richard@example.com", "password": "password",
                                                  "applicationId": app["id"]})
    assert login.status_code == 200


async def test_trailing_slash_never_redirects_to_a_forged_host(client):
    for path in ("/api/user/", "/api/login/", "/oauth2/token/", "/oauth2/authorize/"):
        response = await client.get(path, headers={"Host": "evil.example"})
        assert "evil.example" not in response.headers.get("location", ""), path
        assert "evil.example" not in response.text, path
        assert response.status_code == 404, (path, response.status_code)


async def test_metrics_are_for_the_allowed_networks_only(registry):
    """Loopback by default (`AUTHGATE_METRICS_ALLOWED_NETWORKS`); a peer elsewhere gets 403."""
    app = create_app(registry.settings, registry)
    for peer, allowed in ((("127.0.0.1", 5000), True), (("203.0.113.9", 5000), False), (("10.1.2.3", 5000), False)):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=peer), base_url="http://idp") as c:
            response = await c.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"})
        assert (response.status_code == 200) is allowed, (peer, response.status_code)
        assert ("authgate_http_requests_total" in response.text) is allowed
    wider = create_app(registry.settings.with_overrides(metrics_allowed_networks="127.0.0.1/32, 10.0.0.0/8"), registry)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=wider, client=("10.1.2.3", 5000)), base_url="http://idp") as c:
        assert (await c.get("/metrics")).status_code == 200


def test_a_malformed_network_is_a_start_up_error():
    from pydantic import ValidationError

    from authgate.config import Settings

    with pytest.raises(ValidationError):
        Settings(metrics_allowed_networks="10.0.0.0/8, not-a-network")
