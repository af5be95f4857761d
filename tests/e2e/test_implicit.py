"""Seeds 002 (implicit-localstorage) and 000 (implicit-cookie) in Chromium against the real IdP:
every step of WORKFLOWS.md in order, watched from the browser and from each server.

The JWT travels in the fragment of the IdP's redirect (its `Location` header, asserted here);
Chromium keeps the fragment to itself, so the Store's backend sees `/oauth-redirect` with no
query and no token, and the SPA clears the address bar to `/`. Expiry is seen by waiting out a
short-lived JWT; recovery is the IdP's SSO session answering authorize with a 302 and no form.
"""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.async_api import expect

from .harness import (DEMO_EMAIL, EXPECT_TIMEOUT, FORUMS_ID, JWT_TTL_IMPLICIT, STORE_ID, RecordingStack, Seen, Shots,
                      Traffic, assert_cookie, assert_expiry_401, assert_idp_cookies_stay_on_idp, assert_no_jwt_in_urls,
                      claims, fill_hosted_login, fragment_params, jar, running_stack, until, wait_past)

pytestmark = pytest.mark.e2e
IDP, STORE = "idp.authgate.localhost", "store.authgate.localhost"
CART_FIRST = "2 x Earl Grey tea, 100 g"

expect.set_options(timeout=EXPECT_TIMEOUT)


def authorize_answers(stack: RecordingStack) -> list[Seen]:
    """The IdP's answers to /oauth2/authorize that carried a token back (302/303 + fragment)."""
    return [s for s in stack.requests("idp", "/oauth2/authorize")
            if s.status in (302, 303) and "#access_token=" in (s.response_header("location") or "")]


async def log_in_at_idp(page: Any, stack: RecordingStack, traffic: Traffic, client_id: str, shot: Shots) -> Seen:
    """Steps 2-4: click "Log in" -> authorize (query asserted) -> hosted form -> 303 + fragment."""
    app_url = stack.cfg.store_url if client_id == STORE_ID else stack.cfg.forums_url
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_label("Email or username")).to_be_visible()
    authorize = [r for r in traffic.to("idp", "/oauth2/authorize") if r.navigation][-1]
    query = {k: v[0] for k, v in parse_qs(urlsplit(authorize.url).query).items()}
    assert query["client_id"] == client_id and query["response_type"] == "token"
    assert query["redirect_uri"] == app_url + "/oauth-redirect" and query["scope"] == "openid"
    assert query["state"] and query["nonce"]
    assert stack.requests("idp", "/oauth2/authorize")[-1].status == 200  # the hosted login page
    await shot(page, "idp-hosted-login-form")
    await fill_hosted_login(page)
    await until(lambda: len(authorize_answers(stack)) >= 1 and authorize_answers(stack)[-1].method == "POST",
                "the IdP's redirect after the form")
    answer = authorize_answers(stack)[-1]
    assert answer.status == 303  # after a POST (API.md); the fragment carries the token
    location = answer.response_header("location") or ""
    assert location.startswith(app_url + "/oauth-redirect#access_token=")
    params = fragment_params(location)
    assert params["token_type"] == "Bearer" and params["state"] == query["state"] and int(params["expires_in"]) > 0
    assert claims(params["access_token"])["aud"] == client_id
    assert any(c.startswith("fusionauth.sso=") for c in answer.set_cookies())
    return answer


async def assert_sso_cookie(context) -> None:  # type: ignore[no-untyped-def]
    cookies = await jar(context)
    assert_cookie(cookies.get((IDP, "fusionauth.sso")), host=IDP, same_site="Lax")
    for name in ("refresh_token", "access_token"):  # the implicit grant sets no token cookies
        assert (IDP, name) not in cookies
    assert not [c for c in await context.cookies() if c["name"] == "fusionauth.sso" and c["domain"] != IDP]


def redirect_landings(stack: RecordingStack, server: str) -> list[Seen]:
    return stack.requests(server, "/oauth-redirect")


async def test_seed_002_implicit_localstorage(browser, tmp_path):  # type: ignore[no-untyped-def]
    mode = "implicit-localstorage"
    shot = Shots(mode)
    async with running_stack(tmp_path, mode, jwt_ttl=JWT_TTL_IMPLICIT) as stack:
        cfg = stack.cfg
        context = await browser.new_context()
        traffic = Traffic(context)
        store = await context.new_page()
        stored_jwt = lambda page: page.evaluate("localStorage.getItem('authgate.jwt')")  # noqa: E731

        # 1. GET / -> SPA; no JWT in localStorage -> "Log in" (the backend is not even asked).
        await store.goto(cfg.store_url + "/")
        await expect(store.locator("#mode")).to_have_text(mode)
        await expect(store.locator("#mode-warning")).to_contain_text("Insecure seed workflow")
        await expect(store.get_by_role("button", name="Log in")).to_be_visible()
        assert await stored_jwt(store) is None
        assert not stack.requests("store", "/api/user")
        await shot(store, "store-logged-out")

        # 2-4. authorize -> hosted login page -> POST -> 303 to redirect_uri#access_token=...
        answer = await log_in_at_idp(store, stack, traffic, STORE_ID, shot)
        jwt = fragment_params(answer.response_header("location") or "")["access_token"]
        await assert_sso_cookie(context)

        # 5. GET /oauth-redirect reaches the Store with no query and no token; the SPA moves the
        #    JWT to localStorage and clears the fragment from the address bar.
        await expect(store.locator("#items li").first).to_have_text(CART_FIRST)
        landing = redirect_landings(stack, "store")
        assert len(landing) == 1 and landing[0].query == "" and landing[0].status == 200
        assert store.url == cfg.store_url + "/"
        assert await stored_jwt(store) == jwt
        # The browser did have the token, in the fragment of the page it committed, and showed
        # exactly one IdP page: the login form.
        assert [fragment_params(u).get("access_token") for u in traffic.committed("store")
                if "/oauth-redirect#" in u] == [jwt]
        assert len(traffic.committed("idp")) == 1

        # 6. GET /api/load-shopping-cart with Authorization: Bearer <JWT> -> the cart.
        cart = stack.requests("store", "/api/load-shopping-cart")[-1]
        assert cart.status == 200 and cart.headers["authorization"] == f"Bearer {jwt}" and not cart.cookies
        assert stack.login_forms_rendered() == 1
        await shot(store, "cart-jwt-in-localstorage")

        # 7. The JWT expires -> the cart call gets 401 (expired) -> authorize again -> the SSO
        #    session answers 302 with a new JWT, no form -> steps 5-6 again.
        await wait_past(claims(jwt)["exp"])
        await store.get_by_role("button", name="Reload").click()
        await until(lambda: len(redirect_landings(stack, "store")) == 2
                    and stack.requests("store", "/api/load-shopping-cart")[-1].status == 200, "SSO re-login")
        refused = [s for s in stack.requests("store", "/api/load-shopping-cart") if s.status == 401]
        assert len(refused) == 1 and refused[0].headers["authorization"] == f"Bearer {jwt}"
        assert_expiry_401(refused[0])
        sso = authorize_answers(stack)[-1]
        assert sso.method == "GET" and sso.status == 302 and stack.login_forms_rendered() == 1
        new_jwt = fragment_params(sso.response_header("location") or "")["access_token"]
        assert new_jwt != jwt and await stored_jwt(store) == new_jwt
        assert stack.requests("store", "/api/load-shopping-cart")[-1].headers["authorization"] == f"Bearer {new_jwt}"
        await expect(store.locator("#event-log")).to_contain_text("SSO: got a new JWT from the IdP without a login form")
        await expect(store.locator("#items li").first).to_have_text(CART_FIRST)
        await shot(store, "cart-after-sso-renewal")

        # 8. Forums: no JWT in *its* localStorage -> authorize -> SSO 302, no form -> posts.
        forums = await context.new_page()
        await forums.goto(cfg.forums_url + "/")
        assert await stored_jwt(forums) is None  # localStorage is per origin
        await forums.get_by_role("button", name="Log in").click()
        await expect(forums.locator("#data")).to_be_visible()
        assert stack.login_forms_rendered() == 1  # single sign-on: the form never rendered again
        sso = authorize_answers(stack)[-1]
        assert sso.status == 302 and (sso.response_header("location") or "").startswith(cfg.forums_url + "/oauth-redirect#")
        forums_jwt = await stored_jwt(forums)
        assert forums_jwt and claims(forums_jwt)["aud"] == FORUMS_ID
        assert stack.requests("forums", "/api/load-posts")[-1].status == 200
        assert forums.url == cfg.forums_url + "/"
        assert len(traffic.committed("idp")) == 1  # the browser never showed the IdP again
        await shot(forums, "forums-by-sso-no-form")

        # 9. Attack: any script on the page reads localStorage; the Hacker replays the JWT.
        stolen = await store.evaluate("localStorage.getItem('authgate.jwt')")
        async with stack.http("store") as hacker:
            replay = await hacker.get("/api/load-shopping-cart", headers={"Authorization": f"Bearer {stolen}"})
            assert replay.status_code == 200 and replay.json()["owner"] == DEMO_EMAIL  # works until exp
            old = await hacker.get("/api/load-shopping-cart", headers={"Authorization": f"Bearer {jwt}"})
            assert old.status_code == 401 and "expired" in old.headers["www-authenticate"]

        assert await assert_no_jwt_in_urls(stack, traffic) > 10
        assert_idp_cookies_stay_on_idp(stack, traffic)
        assert traffic.page_errors == []
        await context.close()


async def test_seed_000_implicit_cookie(browser, tmp_path):  # type: ignore[no-untyped-def]
    mode = "implicit-cookie"
    shot = Shots(mode)
    async with running_stack(tmp_path, mode, jwt_ttl=JWT_TTL_IMPLICIT) as stack:
        cfg = stack.cfg
        context = await browser.new_context()
        traffic = Traffic(context)
        store = await context.new_page()

        # 1. GET / -> SPA; its start-up check GET /api/user -> 404 -> "Log in".
        await store.goto(cfg.store_url + "/")
        await expect(store.locator("#mode")).to_have_text(mode)
        await expect(store.locator("#mode-warning")).to_contain_text("Insecure seed workflow")
        await expect(store.get_by_role("button", name="Log in")).to_be_visible()
        assert [s.status for s in stack.requests("store", "/api/user")] == [404]
        await shot(store, "store-logged-out")

        # 2-4. authorize -> hosted login page -> 303 + fragment, SSO cookie on the IdP.
        answer = await log_in_at_idp(store, stack, traffic, STORE_ID, shot)
        jwt = fragment_params(answer.response_header("location") or "")["access_token"]
        await assert_sso_cookie(context)

        # 5 + cookie drop: /oauth-redirect without a token; the SPA POSTs the JWT to
        #    /api/cookie-drop (body, not URL), forgets it; the backend keeps an HttpOnly cookie.
        await expect(store.locator("#items li").first).to_have_text(CART_FIRST)
        landing = redirect_landings(stack, "store")
        assert len(landing) == 1 and landing[0].query == ""
        assert store.url == cfg.store_url + "/"
        drop = stack.requests("store", "/api/cookie-drop")
        assert len(drop) == 1 and drop[0].status == 200 and drop[0].headers["origin"] == cfg.store_url
        sent = traffic.to("store", "/api/cookie-drop")
        assert len(sent) == 1 and jwt in (sent[0].post_data or "")
        cookies = await jar(context)
        assert_cookie(cookies.get((STORE, "app_jwt")), host=STORE, same_site="Strict")
        assert cookies[(STORE, "app_jwt")]["value"] == jwt
        assert 0 < cookies[(STORE, "app_jwt")]["expires"] <= claims(jwt)["exp"] + 1  # Max-Age = time to exp
        assert await store.evaluate("document.cookie") == ""
        assert "eyJ" not in await store.evaluate("JSON.stringify(localStorage) + JSON.stringify(sessionStorage)")

        # 6. The cart, with the JWT from the Store's own cookie (no Authorization header).
        cart = stack.requests("store", "/api/load-shopping-cart")[-1]
        assert cart.status == 200 and cart.cookies == {"app_jwt": jwt} and "authorization" not in cart.headers
        await shot(store, "cart-jwt-in-httponly-cookie")

        # 7. Expiry: cart 401 -> authorize -> SSO 302, no form -> cookie drop -> cart 200.
        await wait_past(claims(jwt)["exp"])
        await store.get_by_role("button", name="Reload").click()
        await until(lambda: len(stack.requests("store", "/api/cookie-drop")) == 2
                    and stack.requests("store", "/api/load-shopping-cart")[-1].status == 200, "SSO re-login")
        refused = [s for s in stack.requests("store", "/api/load-shopping-cart") if s.status == 401]
        assert len(refused) == 1
        assert_expiry_401(refused[0])
        sso = authorize_answers(stack)[-1]
        assert sso.method == "GET" and sso.status == 302 and stack.login_forms_rendered() == 1
        new_jwt = fragment_params(sso.response_header("location") or "")["access_token"]
        assert new_jwt != jwt and (await jar(context))[(STORE, "app_jwt")]["value"] == new_jwt
        assert stack.requests("store", "/api/load-shopping-cart")[-1].cookies == {"app_jwt": new_jwt}
        await expect(store.locator("#event-log")).to_contain_text("SSO: got a new JWT from the IdP without a login form")
        await shot(store, "cart-after-sso-renewal")

        # Forums: same, via SSO -- no form, a Forums JWT, its own cookie drop on its own host.
        forums = await context.new_page()
        await forums.goto(cfg.forums_url + "/")
        await forums.get_by_role("button", name="Log in").click()
        await expect(forums.locator("#data")).to_be_visible()
        assert stack.login_forms_rendered() == 1
        forums_jwt = fragment_params(authorize_answers(stack)[-1].response_header("location") or "")["access_token"]
        assert claims(forums_jwt)["aud"] == FORUMS_ID
        cookies = await jar(context)
        assert_cookie(cookies.get(("forums.authgate.localhost", "app_jwt")), host="forums.authgate.localhost",
                      same_site="Strict")
        assert cookies[("forums.authgate.localhost", "app_jwt")]["value"] == forums_jwt
        assert stack.requests("forums", "/api/load-posts")[-1].cookies == {"app_jwt": forums_jwt}
        assert len(traffic.committed("idp")) == 1  # one login form in the whole run, at the start
        await shot(forums, "forums-by-sso-no-form")

        # Attack: the JWT taken from the wire (the cookie-drop body) replayed as a cookie and as
        # a header -> the cart, until exp. The Forums' JWT is refused by the Store (audience).
        stolen_jwt = json.loads(traffic.to("store", "/api/cookie-drop")[-1].post_data or "{}")["token"]
        async with stack.http("store") as hacker:
            for headers in ({"Cookie": f"app_jwt={stolen_jwt}"}, {"Authorization": f"Bearer {stolen_jwt}"}):
                replay = await hacker.get("/api/load-shopping-cart", headers=headers)
                assert replay.status_code == 200 and replay.json()["owner"] == DEMO_EMAIL
            wrong = await hacker.get("/api/load-shopping-cart", headers={"Authorization": f"Bearer {forums_jwt}"})
            assert wrong.status_code == 401

        assert await assert_no_jwt_in_urls(stack, traffic) > 10
        assert_idp_cookies_stay_on_idp(stack, traffic)
        assert traffic.page_errors == []
        await context.close()
