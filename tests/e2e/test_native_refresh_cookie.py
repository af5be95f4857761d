"""Seed 001 (native-refresh-cookie) in Chromium against the real authgate IdP, every step of
WORKFLOWS.md in order.

What the refresh-cookie overwrite really does (step 6), as observed and asserted here: the IdP
keeps one `refresh_token` cookie per IdP origin, so the Forums' `/api/login` replaces the
Store's. When the Store's JWT then expires, its SPA POSTs `/api/jwt/refresh` with credentials;
the browser sends the *Forums'* refresh token; the IdP answers **200 with a JWT whose `aud` is
the Forums' client id** and (OneTimeUse policy) rotates the Forums' refresh token into the
cookie. The Store's cookie drop verifies that JWT and answers **401 "issued for another
application"**; no cookie is set and the Store SPA shows its login form ("Another app replaced
your session at the IdP"). The Forums is unaffected: its own next refresh uses the rotated
token and works. The Store's original refresh token stays valid at the IdP but no browser
cookie names it any more.
"""
from __future__ import annotations

import pytest
from playwright.async_api import expect

from .harness import (DEMO_EMAIL, DEMO_PASSWORD, EXPECT_TIMEOUT, FORUMS_ID, STORE_ID, Shots, Traffic,
                      assert_cookie, assert_expiry_401, assert_idp_cookies_stay_on_idp, assert_no_jwt_in_urls, claims, jar,
                      running_stack, until, wait_past)

pytestmark = pytest.mark.e2e
MODE = "native-refresh-cookie"
IDP, STORE, FORUMS = "idp.authgate.localhost", "store.authgate.localhost", "forums.authgate.localhost"

expect.set_options(timeout=EXPECT_TIMEOUT)


async def submit_own_form(page, password: str = DEMO_PASSWORD):  # type: ignore[no-untyped-def]
    """Fill the app's own login form (not the IdP's) and wait for the IdP's /api/login answer."""
    form = page.locator("#login-form")
    await form.get_by_label("Email").fill(DEMO_EMAIL)
    await form.get_by_label("Password").fill(password)
    async with page.expect_response(lambda r: r.url.endswith("/api/login") and r.request.method == "POST") as info:
        await form.get_by_role("button", name="Log in").click()
    return await info.value


def last(stack, server: str, path: str):  # type: ignore[no-untyped-def]
    found = stack.requests(server, path)
    assert found, f"{server} never got {path}"
    return found[-1]


async def test_seed_001_native_refresh_cookie(browser, tmp_path):  # type: ignore[no-untyped-def]
    shot = Shots(MODE)
    async with running_stack(tmp_path, MODE) as stack:
        cfg = stack.cfg
        context = await browser.new_context()
        traffic = Traffic(context)
        store = await context.new_page()
        n_store = lambda path, status: sum(1 for s in stack.requests("store", path) if s.status == status)  # noqa: E731

        # 1. Store GET /; GET /api/user -> 404; the SPA renders its own login form (no redirect).
        await store.goto(cfg.store_url + "/")
        await expect(store.locator("#mode")).to_have_text(MODE)
        await expect(store.locator("#login-form")).to_be_visible()
        assert [s.status for s in stack.requests("store", "/api/user")] == [404]
        assert store.url == cfg.store_url + "/"
        await shot(store, "store-own-login-form")

        # 2. SPA POSTs idp/api/login (CORS with credentials). Wrong password -> 404 first.
        bad = await submit_own_form(store, "wrong-password")
        assert bad.status == 404
        await expect(store.locator("#login-error")).to_have_text("Wrong email or password")
        assert not [c for c in await context.cookies() if c["name"] == "refresh_token"]
        await shot(store, "wrong-password-404")

        ok = await submit_own_form(store)
        assert ok.status == 200
        body = await ok.json()
        assert {"token", "tokenExpirationInstant", "refreshToken", "refreshTokenId", "user"} <= set(body)
        store_jwt = body["token"]
        assert claims(store_jwt)["aud"] == STORE_ID and claims(store_jwt)["sub"] == stack.user_id
        assert ok.headers["access-control-allow-origin"] == cfg.store_url
        assert ok.headers["access-control-allow-credentials"] == "true"
        login_seen = last(stack, "idp", "/api/login")
        assert login_seen.headers["origin"] == cfg.store_url and login_seen.status == 200
        cookies = await jar(context)
        for name in ("refresh_token", "access_token"):  # on the IdP origin, HttpOnly, Lax, host-only
            assert_cookie(cookies.get((IDP, name)), host=IDP, same_site="Lax")
        assert cookies[(IDP, "refresh_token")]["value"] == body["refreshToken"]

        # 3. Cookie drop to the Store backend (JWT in the POST body, never a URL), then the cart
        #    loads with the Store's own HttpOnly JWT cookie.
        await expect(store.locator("#items li").first).to_have_text("2 x Earl Grey tea, 100 g")
        drop = traffic.to("store", "/api/cookie-drop")
        assert len(drop) == 1 and drop[0].method == "POST" and store_jwt in (drop[0].post_data or "")
        cookies = await jar(context)
        assert_cookie(cookies.get((STORE, "app_jwt")), host=STORE, same_site="Strict")
        assert cookies[(STORE, "app_jwt")]["value"] == store_jwt
        cart = last(stack, "store", "/api/load-shopping-cart")
        assert cart.status == 200 and cart.cookies.get("app_jwt") == store_jwt and "authorization" not in cart.headers
        assert await store.evaluate("document.cookie") == ""  # every cookie here is HttpOnly
        await shot(store, "cart-after-cookie-drop")

        # 4. JWT expires -> cart 401 (expired) -> POST idp/api/jwt/refresh with the IdP's cookie
        #    -> 200 new JWT (refresh token rotated: OneTimeUse) -> cookie drop -> cart 200.
        old_refresh = cookies[(IDP, "refresh_token")]["value"]
        await wait_past(claims(store_jwt)["exp"])
        await store.get_by_role("button", name="Reload").click()
        await until(lambda: n_store("/api/load-shopping-cart", 200) == 2, "the cart to load after a refresh")
        expired = [s for s in stack.requests("store", "/api/load-shopping-cart") if s.status == 401]
        assert len(expired) == 1
        assert "app_jwt" not in expired[0].cookies  # the cookie's Max-Age ended with the JWT
        assert_expiry_401(expired[0])
        refresh = last(stack, "idp", "/api/jwt/refresh")
        assert refresh.status == 200 and refresh.cookies.get("refresh_token") == old_refresh
        assert refresh.headers["origin"] == cfg.store_url
        cookies = await jar(context)
        assert cookies[(IDP, "refresh_token")]["value"] != old_refresh  # rotated
        assert_cookie(cookies.get((IDP, "refresh_token")), host=IDP, same_site="Lax")
        refreshed_jwt = cookies[(STORE, "app_jwt")]["value"]
        assert refreshed_jwt != store_jwt and claims(refreshed_jwt)["aud"] == STORE_ID
        assert claims(refreshed_jwt)["authenticationType"] == "REFRESH_TOKEN"
        await expect(store.locator("#event-log")).to_contain_text("Refresh -> 200")
        await shot(store, "cart-after-refresh")

        # 5. The refresh token is revoked (admin API) -> at the next expiry the refresh answers
        #    400 with FusionAuth's error body -> the SPA shows its login form again.
        async with stack.http("idp") as idp_http:
            revoked = await idp_http.delete("/api/jwt/refresh", params={"userId": stack.user_id},
                                            headers={"Authorization": stack.api_key})
        assert revoked.status_code == 200, revoked.text
        await wait_past(claims(refreshed_jwt)["exp"])
        async with store.expect_response(lambda r: r.url.endswith("/api/jwt/refresh")) as info:
            await store.get_by_role("button", name="Reload").click()
        refused = await info.value
        assert refused.status == 400
        assert (await refused.json())["fieldErrors"]["refreshToken"][0]["code"] == "[invalid]refreshToken"
        await expect(store.locator("#login-form")).to_be_visible()
        await expect(store.locator("#login-error")).to_have_text("Your session ended, please log in again")
        await shot(store, "refresh-400-login-again")

        # 6. Log in to the Store again, then to the Forums (its own form: no SSO in this
        #    workflow). The Forums' /api/login overwrites the Store's refresh_token cookie.
        carts = n_store("/api/load-shopping-cart", 200)
        ok = await submit_own_form(store)
        store_jwt = (await ok.json())["token"]
        # (the old cart is still in the hidden DOM: wait for the new load, not for the text)
        await until(lambda: n_store("/api/load-shopping-cart", 200) == carts + 1, "the cart after the re-login")
        await expect(store.locator("#data")).to_be_visible()
        store_refresh = (await jar(context))[(IDP, "refresh_token")]["value"]

        forums = await context.new_page()
        await forums.goto(cfg.forums_url + "/")
        await expect(forums.locator("#login-form")).to_be_visible()  # no SSO: a form again
        await shot(forums, "forums-own-login-form")
        ok = await submit_own_form(forums)
        forums_body = await ok.json()
        assert claims(forums_body["token"])["aud"] == FORUMS_ID
        await expect(forums.locator("#data")).to_be_visible()
        assert last(stack, "forums", "/api/load-posts").status == 200
        cookies = await jar(context)
        forums_refresh = cookies[(IDP, "refresh_token")]["value"]
        assert forums_refresh == forums_body["refreshToken"] != store_refresh  # overwritten
        assert [c for c in await context.cookies() if c["name"] == "refresh_token"] == [cookies[(IDP, "refresh_token")]]
        assert_cookie(cookies.get((FORUMS, "app_jwt")), host=FORUMS, same_site="Strict")
        # each app's JWT cookie stays on its own host (the Store's may already have expired with its JWT)
        app_jwts = {c["domain"]: c["value"] for c in await context.cookies() if c["name"] == "app_jwt"}
        assert app_jwts[FORUMS] == forums_body["token"] and app_jwts.get(STORE, store_jwt) == store_jwt
        assert set(app_jwts) <= {STORE, FORUMS}
        await shot(forums, "forums-posts-cookie-overwritten")

        # The consequence: the Store's next refresh gets a JWT for the Forums, its cookie drop
        # refuses it (401, wrong audience), and the Store asks for a login.
        await wait_past(claims(store_jwt)["exp"])
        drops_before = len(stack.requests("store", "/api/cookie-drop"))
        async with store.expect_response(lambda r: r.url.endswith("/api/jwt/refresh")) as info:
            await store.get_by_role("button", name="Reload").click()
        clobbered = await info.value
        assert clobbered.status == 200
        assert last(stack, "idp", "/api/jwt/refresh").cookies["refresh_token"] == forums_refresh
        wrong_jwt = (await clobbered.json())["token"]
        assert claims(wrong_jwt)["aud"] == FORUMS_ID
        await until(lambda: len(stack.requests("store", "/api/cookie-drop")) == drops_before + 1, "the cookie drop")
        drop = last(stack, "store", "/api/cookie-drop")
        assert drop.status == 401
        assert not any("app_jwt" in c for c in drop.set_cookies())
        await expect(store.locator("#login-form")).to_be_visible()
        await expect(store.locator("#login-error")).to_have_text(
            "Another app replaced your session at the IdP; please log in again")
        await expect(store.locator("#event-log")).to_contain_text(
            "Cookie drop refused: 401 The access token was issued for another application")
        await shot(store, "store-refresh-got-forums-token")
        # ... while the Forums keeps working with the rotated token the Store's refresh left in the cookie.
        rotated = (await jar(context))[(IDP, "refresh_token")]["value"]
        assert rotated != forums_refresh
        await wait_past(claims(forums_body["token"])["exp"])
        await forums.get_by_role("button", name="Reload").click()
        await until(lambda: [s.status for s in stack.requests("forums", "/api/load-posts")][-1:] == [200]
                    and len(stack.requests("forums", "/api/load-posts")) >= 3, "the Forums to refresh")
        assert last(stack, "idp", "/api/jwt/refresh").cookies["refresh_token"] == rotated

        # 7. Attacks. Log the Store in once more, then the Hacker, holding copies of the cookies:
        carts = n_store("/api/load-shopping-cart", 200)
        await submit_own_form(store)
        await until(lambda: n_store("/api/load-shopping-cart", 200) == carts + 1, "the cart after the re-login")
        await expect(store.locator("#data")).to_be_visible()
        cookies = await jar(context)
        stolen_refresh = cookies[(IDP, "refresh_token")]["value"]
        stolen_jwt = cookies[(STORE, "app_jwt")]["value"]
        async with stack.http("idp") as idp_http, stack.http("store") as store_http:
            # stolen refresh token sent straight to the IdP (no browser, no cookie, no Origin)
            minted = await idp_http.post("/api/jwt/refresh", json={"refreshToken": stolen_refresh})
            assert minted.status_code == 200, minted.text
            assert claims(minted.json()["token"])["sub"] == stack.user_id
            assert claims(minted.json()["token"])["aud"] == STORE_ID
            # stolen JWT replayed to the Store, as a header and as a cookie: the cart, until exp
            for headers in ({"Authorization": f"Bearer {stolen_jwt}"}, {"Cookie": f"app_jwt={stolen_jwt}"}):
                replay = await store_http.get("/api/load-shopping-cart", headers=headers)
                assert replay.status_code == 200 and replay.json()["owner"] == DEMO_EMAIL
            await wait_past(claims(stolen_jwt)["exp"])
            late = await store_http.get("/api/load-shopping-cart", headers={"Authorization": f"Bearer {stolen_jwt}"})
            assert late.status_code == 401 and "expired" in late.headers["www-authenticate"]

        # Across the whole run: no JWT in any URL or Referer; IdP cookies never reached the apps.
        assert await assert_no_jwt_in_urls(stack, traffic) > 20
        assert_idp_cookies_stay_on_idp(stack, traffic)
        assert not stack.requests("idp", "/oauth2/authorize")  # this workflow never redirects
        assert traffic.committed("idp") == []  # the browser never showed an IdP page
        assert traffic.page_errors == []
        await context.close()
