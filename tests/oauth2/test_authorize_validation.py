"""Authorize validation: unknown client / unregistered redirect_uri -> error page on the IdP;
everything else -> error redirect to the registered URI with state."""
from __future__ import annotations

import httpx
import pytest

from tests.oauth2.conftest import STORE_CB, World, authorize_params, location_base, redirect_params

TRICKS = [
    STORE_CB + "/",                                           # trailing slash
    STORE_CB + "x",                                           # prefix match
    STORE_CB + "/../evil",                                    # path traversal
    STORE_CB.replace("/oauth-redirect", "/a/../oauth-redirect"),
    STORE_CB.replace("store.authgate", "STORE.authgate"),     # case
    STORE_CB.replace("http://", "http://store.authgate.localhost:8081@"),  # userinfo @
    "http://evil.example@store.authgate.localhost:8081/oauth-redirect",
    "http://store.authgate.localhost:8081@evil.example/oauth-redirect",
    STORE_CB + "#frag",                                       # fragment
    STORE_CB + "?next=https://evil.example",                  # open redirect via query
    STORE_CB.replace("8081", "8081.evil.example"),
    "http://store.authgate.localhost:8081/*",                 # wildcard
    STORE_CB.replace("http://", "https://"),
    STORE_CB + "%2F..%2Fevil",
    "//evil.example/oauth-redirect",
    "https://evil.example/oauth-redirect",
]


@pytest.mark.parametrize("uri", TRICKS)
async def test_redirect_uri_tricks_get_an_error_page(client: httpx.AsyncClient, world: World, uri: str) -> None:
    response = await client.get("/oauth2/authorize", params=authorize_params(world.store["id"], uri))
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "not registered" in response.text


@pytest.mark.parametrize("params", [
    {"client_id": "no-such-client"}, {"client_id": ""}, {}, {"client_id": "x" * 5000},
])
async def test_unknown_client_gets_an_error_page(client: httpx.AsyncClient, world: World, params: dict[str, str]) -> None:
    query = {**authorize_params(world.store["id"], STORE_CB), **params}
    if not params:
        del query["client_id"]
    response = await client.get("/oauth2/authorize", params=query)
    assert response.status_code == 400 and "location" not in response.headers


async def test_duplicate_client_id_or_redirect_uri_is_an_error_page(client: httpx.AsyncClient, world: World) -> None:
    base = "/oauth2/authorize?response_type=code&state=s"
    dup_client = f"{base}&client_id={world.store['id']}&client_id={world.store['id']}&redirect_uri={STORE_CB}"
    dup_redirect = f"{base}&client_id={world.store['id']}&redirect_uri={STORE_CB}&redirect_uri={STORE_CB}"
    for url in (dup_client, dup_redirect):
        response = await client.get(url)
        assert response.status_code == 400 and "location" not in response.headers


async def test_inactive_application_is_refused(client: httpx.AsyncClient, world: World) -> None:
    doc = {**world.store["doc"], "active": False}
    await world.reg.db.applications.replace(world.store["id"], doc, 1)
    world.reg.apps.invalidate()
    response = await client.get("/oauth2/authorize", params=authorize_params(world.store["id"], STORE_CB))
    assert response.status_code == 400 and "location" not in response.headers


@pytest.mark.parametrize("extra, error", [
    ({"response_type": "magic"}, "unsupported_response_type"),
    ({"response_type": "code token"}, "unsupported_response_type"),
    ({"response_type": "code code"}, "unsupported_response_type"),
    ({"scope": "openid admin"}, "invalid_scope"),
    ({"code_challenge": "a" * 43, "code_challenge_method": "plain"}, "invalid_request"),
    ({"code_challenge": "a" * 43}, "invalid_request"),
    ({"code_challenge": "short", "code_challenge_method": "S256"}, "invalid_request"),
    ({"prompt": "none login"}, "invalid_request"),
    ({"prompt": "consent"}, "invalid_request"),
    ({"max_age": "-1"}, "invalid_request"),
    ({"response_mode": "weird"}, "invalid_request"),
    ({"nonce": "n" * 3000}, "invalid_request"),
    ({"request": "eyJ..."}, "request_not_supported"),
    ({"request_uri": "https://evil.example/r"}, "request_uri_not_supported"),
])
async def test_other_errors_redirect_with_state(client: httpx.AsyncClient, world: World, extra: dict[str, str],
                                                error: str) -> None:
    response = await client.get("/oauth2/authorize", params=authorize_params(world.store["id"], STORE_CB, **extra))
    assert location_base(response) == STORE_CB
    got = redirect_params(response)
    assert got["error"] == error and got["state"] == "st-123" and "code" not in got


async def test_duplicate_parameter_redirects_invalid_request(client: httpx.AsyncClient, world: World) -> None:
    url = f"/oauth2/authorize?client_id={world.store['id']}&redirect_uri={STORE_CB}&response_type=code&state=s&scope=openid&scope=email"
    got = redirect_params(await client.get(url))
    assert got == {"error": "invalid_request", "error_description": "The scope parameter was included more than once.",
                   "state": "s", "iss": "http://idp.authgate.localhost:9011"}
    url = f"/oauth2/authorize?client_id={world.store['id']}&redirect_uri={STORE_CB}&response_type=code&state=a&state=b"
    got = redirect_params(await client.get(url))
    assert got["error"] == "invalid_request" and "state" not in got


async def test_public_client_needs_pkce(client: httpx.AsyncClient, world: World) -> None:
    from tests.oauth2.conftest import FORUMS_CB

    got = redirect_params(await client.get("/oauth2/authorize", params=authorize_params(world.forums["id"], FORUMS_CB)))
    assert got["error"] == "invalid_request" and "PKCE" in got["error_description"]


async def test_pkce_policy_required_applies_to_confidential_clients(client: httpx.AsyncClient, world: World) -> None:
    from tests.oauth2.conftest import oauth_app

    app = await oauth_app(world.reg, "Strict", STORE_CB, proofKeyForCodeExchangePolicy="Required")
    got = redirect_params(await client.get("/oauth2/authorize", params=authorize_params(app["id"], STORE_CB)))
    assert got["error"] == "invalid_request"


async def test_state_required_when_the_client_says_so(client: httpx.AsyncClient, world: World) -> None:
    from tests.oauth2.conftest import oauth_app

    app = await oauth_app(world.reg, "Stateful", STORE_CB, requireState=True)
    params = authorize_params(app["id"], STORE_CB)
    del params["state"]
    got = redirect_params(await client.get("/oauth2/authorize", params=params))
    assert got["error"] == "invalid_request" and "state" in got["error_description"]
    # without requireState the same request shows the login page
    params = authorize_params(world.store["id"], STORE_CB)
    del params["state"]
    assert (await client.get("/oauth2/authorize", params=params)).status_code == 200


async def test_implicit_is_refused_unless_enabled(client: httpx.AsyncClient, world: World) -> None:
    from tests.oauth2.conftest import FORUMS_CB

    params = authorize_params(world.forums["id"], FORUMS_CB, response_type="token")
    response = await client.get("/oauth2/authorize", params=params)
    got = redirect_params(response, "fragment")
    assert got["error"] == "unauthorized_client" and got["state"] == "st-123"
    assert "access_token" not in response.headers["location"]


async def test_implicit_never_in_the_query(client: httpx.AsyncClient, world: World) -> None:
    params = authorize_params(world.store["id"], STORE_CB, response_type="token", response_mode="query")
    got = redirect_params(await client.get("/oauth2/authorize", params=params), "fragment")
    assert got["error"] == "invalid_request"


async def test_id_token_response_requires_nonce(client: httpx.AsyncClient, world: World) -> None:
    params = authorize_params(world.store["id"], STORE_CB, response_type="id_token")
    got = redirect_params(await client.get("/oauth2/authorize", params=params), "fragment")
    assert got["error"] == "invalid_request" and "nonce" in got["error_description"]


async def test_validation_errors_on_post_are_rfc6749(client: httpx.AsyncClient, world: World) -> None:
    response = await client.post("/oauth2/token", content=b'{"grant_type": "x"}', headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
