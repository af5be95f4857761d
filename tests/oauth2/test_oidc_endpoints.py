"""id_token, userinfo, introspection, revocation and logout, through HTTP."""
from __future__ import annotations

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet

from authgate.clock import clock
from authgate.tokens.id_token import at_hash
from authgate.web.cookies import BROWSER, SSO
from tests.conftest import IDP
from tests.oauth2.conftest import (
    SECRET, STORE_CB, World, authorize_params, code_for, form_fields, login, oauth_app, redeem, redirect_params,
)


async def _tokens(client: httpx.AsyncClient, w: World, **extra: str) -> dict:
    response = await redeem(client, w, await code_for(client, w, **extra))
    assert response.status_code == 200, response.text
    return response.json()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_id_token_claims(client: httpx.AsyncClient, world: World) -> None:
    tokens = await _tokens(client, world, nonce="n-77")
    keys = KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())
    claims = jwt.decode(tokens["id_token"], keys).claims
    assert claims["iss"] == IDP and claims["aud"] == world.store["id"] and claims["azp"] == world.store["id"]
    assert claims["nonce"] == "n-77" and claims["at_hash"] == at_hash(tokens["access_token"])
    assert claims["sub"] == world.user["id"] and claims["sid"] and claims["auth_time"] <= claims["iat"]


async def test_userinfo(client: httpx.AsyncClient, world: World) -> None:
    tokens = await _tokens(client, world, scope="openid email")
    for method in ("GET", "POST"):
        response = await client.request(method, "/oauth2/userinfo", headers=_bearer(tokens["access_token"]))
        assert response.status_code == 200
        assert response.json() == {"sub": world.user["id"], "email": "richard@example.com", "email_verified": True}
    missing = await client.get("/oauth2/userinfo")
    assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Bearer")
    bad = await client.get("/oauth2/userinfo", headers=_bearer(tokens["access_token"][:-4] + "AAAA"))
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_token"


async def test_userinfo_needs_openid_scope(client: httpx.AsyncClient, world: World) -> None:
    tokens = await _tokens(client, world, scope="email")
    response = await client.get("/oauth2/userinfo", headers=_bearer(tokens["access_token"]))
    assert response.status_code == 403 and response.json()["error"] == "insufficient_scope"


async def _introspect(client: httpx.AsyncClient, token: str, auth: tuple[str, str]) -> httpx.Response:
    return await client.post("/oauth2/introspect", data={"token": token}, auth=auth)


async def test_introspection(client: httpx.AsyncClient, world: World) -> None:
    tokens = await _tokens(client, world)
    auth = (world.store["id"], SECRET)
    body = (await _introspect(client, tokens["access_token"], auth)).json()
    assert body["active"] is True and body["client_id"] == world.store["id"] and body["sub"] == world.user["id"]
    assert body["token_type"] == "Bearer" and body["scope"] == "openid offline_access"
    body = (await _introspect(client, tokens["refresh_token"], auth)).json()
    assert body["active"] is True and body["token_type"] == "refresh_token"
    assert (await _introspect(client, "garbage", auth)).json() == {"active": False}
    # foreign: another confidential client asks about Store's tokens
    other = await oauth_app(world.reg, "Other", STORE_CB)
    for token in (tokens["access_token"], tokens["refresh_token"]):
        assert (await _introspect(client, token, (other["id"], SECRET))).json() == {"active": False}
    # public clients and bad secrets cannot introspect
    denied = await client.post("/oauth2/introspect", data={"token": tokens["access_token"], "client_id": world.forums["id"]})
    assert denied.status_code == 401 and denied.json()["error"] == "invalid_client"
    assert (await _introspect(client, tokens["access_token"], (world.store["id"], "x"))).status_code == 401
    # expired
    clock.advance(3600 + 60)
    assert (await _introspect(client, tokens["access_token"], auth)).json() == {"active": False}


async def test_revocation(client: httpx.AsyncClient, world: World) -> None:
    tokens = await _tokens(client, world)
    auth = (world.store["id"], SECRET)
    other = await oauth_app(world.reg, "Other", STORE_CB)
    foreign = await client.post("/oauth2/revoke", data={"token": tokens["refresh_token"]}, auth=(other["id"], SECRET))
    assert foreign.status_code == 400 and foreign.json()["error"] == "unauthorized_client"
    assert (await _introspect(client, tokens["refresh_token"], auth)).json()["active"] is True
    assert (await client.post("/oauth2/revoke", data={"token": tokens["refresh_token"]}, auth=auth)).status_code == 200
    assert (await _introspect(client, tokens["refresh_token"], auth)).json() == {"active": False}
    assert (await _introspect(client, tokens["access_token"], auth)).json() == {"active": False}
    assert (await client.post("/oauth2/revoke", data={"token": "unknown"}, auth=auth)).status_code == 200
    assert (await client.post("/oauth2/revoke", data={}, auth=auth)).json()["error"] == "invalid_request"


async def test_revoke_access_token(client: httpx.AsyncClient, world: World) -> None:
    tokens = await _tokens(client, world)
    auth = (world.store["id"], SECRET)
    assert (await client.post("/oauth2/revoke", data={"token": tokens["access_token"]}, auth=auth)).status_code == 200
    assert (await client.get("/api/jwt/validate", headers=_bearer(tokens["access_token"]))).status_code == 401


async def _confirmed(client: httpx.AsyncClient, page: httpx.Response) -> httpx.Response:
    """Press "Log out" on the confirmation page, as the browser would."""
    assert page.status_code == 200 and "Log out?" in page.text, page.text[:300]
    return await client.post("/oauth2/logout", data=form_fields(page.text), headers={"Sec-Fetch-Site": "same-origin"})


async def test_logout_ends_sso_and_revokes_refresh_tokens(client: httpx.AsyncClient, world: World) -> None:
    tokens = await _tokens(client, world)
    page = await client.get("/oauth2/logout", params={"client_id": world.store["id"],
                                                      "post_logout_redirect_uri": STORE_CB, "state": "bye"})
    assert client.cookies.get(SSO) is not None  # asked, not yet done
    response = await _confirmed(client, page)
    assert response.status_code == 302 and response.headers["location"] == f"{STORE_CB}?state=bye"
    assert client.cookies.get(SSO) is None
    again = await client.get("/oauth2/authorize", params=authorize_params(world.store["id"], STORE_CB))
    assert again.status_code == 200 and 'name="password"' in again.text  # the form again
    refreshed = await client.post("/oauth2/token", auth=(world.store["id"], SECRET),
                                  data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 400
    assert (await client.get("/api/jwt/validate", headers=_bearer(tokens["access_token"]))).status_code == 401


async def test_logout_even_with_a_stolen_cookie_copy(client: httpx.AsyncClient, world: World) -> None:
    await login(client, authorize_params(world.store["id"], STORE_CB))
    stolen = client.cookies.get(SSO)
    await _confirmed(client, await client.get("/oauth2/logout"))
    client.cookies.set(SSO, stolen, domain="idp.authgate.localhost")
    response = await client.get("/oauth2/authorize", params=authorize_params(world.store["id"], STORE_CB, prompt="none"))
    assert redirect_params(response)["error"] == "login_required"


async def test_logout_redirect_targets(client: httpx.AsyncClient, world: World) -> None:
    await login(client, authorize_params(world.store["id"], STORE_CB))
    for uri in ("https://evil.example/", STORE_CB + "/", STORE_CB + "#x"):
        refused = await client.get("/oauth2/logout", params={"client_id": world.store["id"], "post_logout_redirect_uri": uri})
        assert refused.status_code == 400 and "location" not in refused.headers
    assert client.cookies.get(SSO) is not None  # a refused request does not log out
    no_client = await client.get("/oauth2/logout", params={"post_logout_redirect_uri": STORE_CB})
    assert no_client.status_code == 400
    # the id_token_hint names the client; its logoutURL is used when no URI is given (expired hints are fine)
    tokens = await _tokens(client, world)
    clock.advance(7200)
    response = await client.get("/oauth2/logout", params={"id_token_hint": tokens["id_token"]})
    assert response.status_code == 302 and response.headers["location"] == "http://store.authgate.localhost:8081/"


async def test_logout_without_client_shows_a_page(client: httpx.AsyncClient, world: World) -> None:
    await login(client, authorize_params(world.store["id"], STORE_CB))
    response = await _confirmed(client, await client.get("/oauth2/logout"))
    assert response.status_code == 200 and "logged out" in response.text
    assert response.headers["x-frame-options"] == "DENY"


async def test_refresh_token_grant_rotates_and_detects_reuse(client: httpx.AsyncClient, world: World) -> None:
    tokens = await _tokens(client, world)
    auth = (world.store["id"], SECRET)
    first = await client.post("/oauth2/token", auth=auth, data={"grant_type": "refresh_token",
                                                                "refresh_token": tokens["refresh_token"], "scope": "openid"})
    assert first.status_code == 200 and first.json()["scope"] == "openid"
    wider = await client.post("/oauth2/token", auth=auth, data={"grant_type": "refresh_token", "scope": "openid email",
                                                                "refresh_token": first.json()["refresh_token"]})
    assert wider.json()["error"] == "invalid_scope"
    reuse = await client.post("/oauth2/token", auth=auth, data={"grant_type": "refresh_token",
                                                                "refresh_token": tokens["refresh_token"]})
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    after = await client.post("/oauth2/token", auth=auth, data={"grant_type": "refresh_token",
                                                                "refresh_token": first.json()["refresh_token"]})
    assert after.status_code == 400  # the whole family was revoked


async def test_logout_without_a_hint_for_this_session_asks_first(client: httpx.AsyncClient, world: World) -> None:
    """RP-Initiated Logout 1.0 section 2: without an id_token_hint of the current session the OP asks.
    A cross-site link, image or form cannot end the session; the page's own form can."""
    await login(client, authorize_params(world.store["id"], STORE_CB))
    params = {"client_id": world.store["id"], "post_logout_redirect_uri": STORE_CB}
    page = await client.get("/oauth2/logout", params=params)
    assert page.status_code == 200 and "Log out?" in page.text and "richard@example.com" in page.text
    assert page.headers["x-frame-options"] == "DENY"
    fields = form_fields(page.text)
    assert fields["confirm"] == "yes" and fields["csrf_token"] and fields["client_id"] == world.store["id"]
    # A forged confirmation: no CSRF cookie (cross-site), or a sibling subdomain's, or a bare GET.
    assert (await client.get("/oauth2/logout", params={**params, "confirm": "yes"})).status_code == 200
    planted = await client.post("/oauth2/logout", data=fields, headers={"Sec-Fetch-Site": "same-site"})
    assert planted.status_code == 403
    stripped = httpx.AsyncClient(transport=client._transport, base_url=IDP)
    for name in (SSO, BROWSER):  # the session's cookies without the CSRF cookie
        stripped.cookies.set(name, client.cookies.get(name), domain="idp.authgate.localhost")
    async with stripped:
        assert (await stripped.post("/oauth2/logout", data=fields)).status_code == 403
    assert client.cookies.get(SSO) is not None
    done = await client.post("/oauth2/logout", data=fields, headers={"Sec-Fetch-Site": "same-origin"})
    assert done.status_code == 302 and done.headers["location"] == STORE_CB and client.cookies.get(SSO) is None


async def test_logout_with_the_id_token_of_this_session_needs_no_confirmation(client: httpx.AsyncClient,
                                                                             world: World) -> None:
    tokens = await _tokens(client, world)
    response = await client.get("/oauth2/logout", params={"id_token_hint": tokens["id_token"],
                                                          "post_logout_redirect_uri": STORE_CB})
    assert response.status_code == 302 and client.cookies.get(SSO) is None


async def test_logout_without_a_session_needs_no_confirmation(client: httpx.AsyncClient, world: World) -> None:
    response = await client.get("/oauth2/logout", params={"client_id": world.store["id"],
                                                          "post_logout_redirect_uri": STORE_CB})
    assert response.status_code == 302 and response.headers["location"] == STORE_CB


async def test_an_access_token_as_hint_does_not_skip_the_confirmation(client: httpx.AsyncClient, world: World) -> None:
    """Resource servers hold access tokens too (and they carry `sid`): only the ID token may vouch."""
    tokens = await _tokens(client, world)
    refused = await client.get("/oauth2/logout", params={"id_token_hint": tokens["access_token"]})
    assert refused.status_code == 400 and client.cookies.get(SSO) is not None
