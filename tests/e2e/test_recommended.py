"""The recommended workflows, code-pkce-cookie and bff, in Chromium against the real IdP: the
flow works (hosted login page, cart, expiry handled by the backend, Forums by SSO) and no token
is ever readable by page JavaScript -- checked at every step in `document.cookie`, localStorage
and sessionStorage, and in the body of every fetch() answer the pages received.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.async_api import expect

from .harness import (EXPECT_TIMEOUT, FORUMS_ID, JWT_RE, STORE_ID, RecordingStack, Shots, Traffic, assert_cookie,
                      assert_expiry_401, assert_idp_cookies_stay_on_idp, assert_no_jwt_in_urls,
                      assert_no_token_readable, claims, fill_hosted_login, jar, running_stack, until, wait_past)

pytestmark = pytest.mark.e2e
IDP, STORE, FORUMS = "idp.authgate.localhost", "store.authgate.localhost", "forums.authgate.localhost"
CART_FIRST = "2 x Earl Grey tea, 100 g"

expect.set_options(timeout=EXPECT_TIMEOUT)


def token_calls(stack: RecordingStack) -> list:  # type: ignore[type-arg]
    return stack.requests("idp", "/oauth2/token", "POST")


async def login_through_backend(page: Any, stack: RecordingStack, traffic: Traffic, context: Any, shot: Shots) -> None:
    """Log in -> GET /api/login (302, PKCE S256) -> hosted form -> 303 to /api/oauth-callback?code
    -> the backend exchanges the code server to server -> 303 to /."""
    calls_before = len(token_calls(stack))
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_label("Email or username")).to_be_visible()
    login = stack.requests("store", "/api/login")[-1]
    assert login.status == 302
    query = {k: v[0] for k, v in parse_qs(urlsplit(login.response_header("location") or "").query).items()}
    assert query["response_type"] == "code" and query["client_id"] == STORE_ID
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["redirect_uri"] == stack.cfg.store_url + "/api/oauth-callback"
    tx = (await jar(context)).get((STORE, "login_tx"))
    assert_cookie(tx, host=STORE, same_site="Lax")  # Lax: it must ride the IdP's redirect back
    await assert_no_token_readable(page, context, "IdP login page")
    await shot(page, "idp-hosted-login-form")
    await fill_hosted_login(page)
    await expect(page.locator("#items li").first).to_have_text(CART_FIRST)
    callback = stack.requests("store", "/api/oauth-callback")[-1]
    assert callback.status == 303 and set(parse_qs(callback.query)) >= {"code", "state"}
    assert (callback.response_header("location") or "") == "/"
    exchange = token_calls(stack)[calls_before:]
    assert len(exchange) == 1 and not exchange[0].from_browser  # backend -> IdP, on 127.0.0.1
    assert not traffic.to("idp", "/oauth2/token")  # the browser never talks to the token endpoint
    assert page.url == stack.cfg.store_url + "/"
    assert (STORE, "login_tx") not in await jar(context)  # single use, cleared


async def test_code_pkce_cookie_no_token_in_javascript(browser, tmp_path):  # type: ignore[no-untyped-def]
    mode = "code-pkce-cookie"
    shot = Shots(mode)
    async with running_stack(tmp_path, mode) as stack:
        cfg = stack.cfg
        context = await browser.new_context()
        traffic = Traffic(context)
        store = await context.new_page()

        await store.goto(cfg.store_url + "/")
        await expect(store.get_by_role("button", name="Log in")).to_be_visible()
        assert [s.status for s in stack.requests("store", "/api/user")] == [404]
        assert [s.status for s in stack.requests("store", "/api/refresh")] == [401]  # no refresh cookie yet
        await assert_no_token_readable(store, context, "logged out")
        await shot(store, "store-logged-out")

        await login_through_backend(store, stack, traffic, context, shot)
        cookies = await jar(context)
        for name in ("app_jwt", "app_refresh"):
            assert_cookie(cookies.get((STORE, name)), host=STORE, same_site="Strict")
        jwt = cookies[(STORE, "app_jwt")]["value"]
        assert claims(jwt)["aud"] == STORE_ID
        assert_cookie(cookies.get((IDP, "fusionauth.sso")), host=IDP, same_site="Lax")
        cart = stack.requests("store", "/api/load-shopping-cart")[-1]
        assert cart.status == 200 and cart.cookies.get("app_jwt") == jwt and "authorization" not in cart.headers
        await assert_no_token_readable(store, context, "cart loaded")
        await shot(store, "cart-tokens-in-httponly-cookies")

        # Expiry: cart 401 -> POST /api/refresh (our backend, with its HttpOnly refresh cookie,
        # calls the IdP's token endpoint) -> new cookies -> cart 200.
        old_refresh = cookies[(STORE, "app_refresh")]["value"]
        calls = len(token_calls(stack))
        await wait_past(claims(jwt)["exp"])
        await store.get_by_role("button", name="Reload").click()
        statuses = lambda: [s.status for s in stack.requests("store", "/api/load-shopping-cart")]  # noqa: E731
        await until(lambda: statuses()[-2:] == [401, 200], "refresh by the backend, then the cart")
        refused = [s for s in stack.requests("store", "/api/load-shopping-cart") if s.status == 401]
        assert len(refused) == 1
        assert_expiry_401(refused[0])
        refresh = stack.requests("store", "/api/refresh")[-1]
        assert refresh.status == 200 and refresh.cookies.get("app_refresh") == old_refresh
        assert len(token_calls(stack)) == calls + 1 and not token_calls(stack)[-1].from_browser
        cookies = await jar(context)
        assert cookies[(STORE, "app_jwt")]["value"] != jwt
        assert cookies[(STORE, "app_refresh")]["value"] != old_refresh  # rotated (OneTimeUse)
        await expect(store.locator("#event-log")).to_contain_text("Our backend refreshed the JWT with its refresh token")
        await assert_no_token_readable(store, context, "after refresh")
        await shot(store, "cart-after-backend-refresh")

        # Forums in the same mode: its backend's /api/login -> authorize -> SSO 302, no form.
        forums = await context.new_page()
        await forums.goto(cfg.forums_url + "/")
        await forums.get_by_role("button", name="Log in").click()
        await expect(forums.locator("#data")).to_be_visible()
        assert stack.login_forms_rendered() == 1 and len(traffic.committed("idp")) == 1
        forums_jwt = (await jar(context))[(FORUMS, "app_jwt")]["value"]
        assert claims(forums_jwt)["aud"] == FORUMS_ID
        await assert_no_token_readable(forums, context, "forums by SSO")
        await shot(forums, "forums-by-sso-no-form")

        await traffic.settle()
        secrets_ = {c["value"] for c in await context.cookies() if c["name"] in ("app_jwt", "app_refresh")}
        for url, body in traffic.fetch_bodies:
            assert not JWT_RE.search(body), f"a fetch() answer carried a JWT: {url}"
            assert not any(v in body for v in secrets_), f"a fetch() answer carried a token: {url}"
        assert traffic.fetch_bodies
        assert await assert_no_jwt_in_urls(stack, traffic) > 10
        assert_idp_cookies_stay_on_idp(stack, traffic)
        assert traffic.page_errors == []
        await context.close()


async def test_bff_no_token_in_javascript(browser, tmp_path):  # type: ignore[no-untyped-def]
    mode = "bff"
    shot = Shots(mode)
    async with running_stack(tmp_path, mode) as stack:
        cfg = stack.cfg
        context = await browser.new_context()
        traffic = Traffic(context)
        store = await context.new_page()

        await store.goto(cfg.store_url + "/")
        await expect(store.get_by_role("button", name="Log in")).to_be_visible()
        assert [s.status for s in stack.requests("store", "/api/user")] == [404]
        await assert_no_token_readable(store, context, "logged out")
        await shot(store, "store-logged-out")

        await login_through_backend(store, stack, traffic, context, shot)
        cookies = await jar(context)
        assert_cookie(cookies.get((STORE, "bff_session")), host=STORE, same_site="Strict")
        assert {name for host, name in cookies if host == STORE} == {"bff_session"}  # no token cookie at all
        session = cookies[(STORE, "bff_session")]["value"]
        assert not JWT_RE.search(session)
        cart = stack.requests("store", "/api/load-shopping-cart")[-1]
        assert cart.status == 200 and cart.cookies == {"bff_session": session} and "authorization" not in cart.headers
        await assert_no_token_readable(store, context, "cart loaded")
        await shot(store, "cart-opaque-session-cookie")

        # A state-changing call: the page sends the session's X-CSRF-Token; without it, 403.
        await store.get_by_role("button", name="Add to cart").click()
        await until(lambda: [s.status for s in stack.requests("store", "/api/cart/items")] == [201], "add to cart")
        assert stack.requests("store", "/api/cart/items")[-1].headers.get("x-csrf-token")
        async with stack.http("store") as other:
            forged = await other.post("/api/cart/items", json={"productId": "book"},
                                      headers={"Cookie": f"bff_session={session}"})
            assert forged.status_code == 403 and forged.json()["error"] == "csrf_rejected"
            exp = (await other.get("/api/user", headers={"Cookie": f"bff_session={session}"})).json()["exp"]

        # Expiry: the backend refreshes by itself; the browser never sees a 401 or a refresh.
        calls = len(token_calls(stack))
        await wait_past(exp)
        await store.get_by_role("button", name="Reload").click()
        await until(lambda: len(token_calls(stack)) == calls + 1
                    and stack.requests("store", "/api/load-shopping-cart")[-1].status == 200, "the backend's refresh")
        assert not token_calls(stack)[-1].from_browser
        assert all(s.status == 200 for s in stack.requests("store", "/api/load-shopping-cart"))
        assert not stack.requests("store", "/api/refresh")
        assert (await jar(context))[(STORE, "bff_session")]["value"] == session  # same opaque session
        await expect(store.locator("#items li").first).to_have_text("3 x Earl Grey tea, 100 g")  # 2 + the one added
        await assert_no_token_readable(store, context, "after the backend's refresh")
        await shot(store, "cart-after-silent-backend-refresh")

        forums = await context.new_page()
        await forums.goto(cfg.forums_url + "/")
        await forums.get_by_role("button", name="Log in").click()
        await expect(forums.locator("#data")).to_be_visible()
        assert stack.login_forms_rendered() == 1 and len(traffic.committed("idp")) == 1  # SSO
        assert {name for host, name in await jar(context) if host == FORUMS} == {"bff_session"}
        await assert_no_token_readable(forums, context, "forums by SSO")
        await shot(forums, "forums-by-sso-no-form")

        await traffic.settle()
        for url, body in traffic.fetch_bodies:
            assert not JWT_RE.search(body), f"a fetch() answer carried a JWT: {url}"
            assert session not in body
        assert traffic.fetch_bodies
        assert await assert_no_jwt_in_urls(stack, traffic) > 10
        assert_idp_cookies_stay_on_idp(stack, traffic)
        assert traffic.page_errors == []
        await context.close()
