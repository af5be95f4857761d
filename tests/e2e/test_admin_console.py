"""The admin console in Chromium: an administrator signs in through the hosted login (the console
is an OAuth client of authgate), creates an application and a user, locks and unlocks the user,
ends a user's session and watches the Store log out at its next refresh, rotates a signing key,
adds a webhook and sees its delivery, makes an API key and reads the login records; a non-admin
gets 403 on every page. Every page is also checked for script errors (a CSP violation would be
one) and drawn at 1280x720 and phone width; the screenshots land in test-artifacts/admin-console/
(docs/screenshots/ keeps copies). On SQLite and on PostgreSQL.
"""
from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from playwright.async_api import expect

from authgate_demo.stack import ADMIN_EMAIL
from tests.receiver import Receiver

from .harness import EXPECT_TIMEOUT, Shots, claims, fill_hosted_login, jar, running_stack, until, wait_past
from .test_account_lifecycle import idp_database  # noqa: F401 - fixture: SQLite, or a fresh PostgreSQL schema

pytestmark = pytest.mark.e2e
expect.set_options(timeout=EXPECT_TIMEOUT)
STORE = "store.authgate.localhost"
DESKTOP, PHONE = {"width": 1280, "height": 720}, {"width": 390, "height": 844}
# Every page of the console (GET); a signed-in non-administrator gets 403 on each.
PAGES = ("/admin/", "/admin/applications", "/admin/applications/new", "/admin/users", "/admin/users/new", "/admin/keys",
         "/admin/api-keys", "/admin/audit", "/admin/logins", "/admin/webhooks", "/admin/webhooks/new")


async def sign_in(page: Any, console_url: str, email: str, password: str) -> None:
    await page.goto(console_url)
    await expect(page.get_by_label("Email or username")).to_be_visible()  # the hosted login page
    await page.get_by_label("Email or username").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Log in").click()


def watch(page: Any, problems: list[str]) -> None:
    """Script errors and console errors (CSP violations are reported there) fail the test."""
    page.on("pageerror", lambda exc: problems.append(f"pageerror: {exc}"))
    page.on("console", lambda msg: problems.append(f"console: {msg.text} {msg.location}") if msg.type == "error" else None)
    page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))  # the data-confirm prompts


async def test_admin_console_end_to_end(browser, tmp_path, backend, idp_database):  # type: ignore[no-untyped-def]
    shot = Shots("admin-console" if backend == "sqlite" else f"admin-console-{backend}")
    receiver = Receiver().start()
    try:
        async with running_stack(tmp_path, "code-pkce-cookie",
                                 idp_overrides={"webhook_allowed_networks": "127.0.0.0/8", **idp_database}) as stack:
            await _drive(browser, stack, shot, receiver)
    finally:
        receiver.stop()


async def _drive(browser: Any, stack: Any, shot: Shots, receiver: Receiver) -> None:
    cfg, problems = stack.cfg, []
    console_url = stack.console_url

    # Richard shops in the Store (code + PKCE, the backend holds the tokens).
    shopper = await browser.new_context(viewport=DESKTOP)
    store = await shopper.new_page()
    await store.goto(cfg.store_url + "/")
    await store.get_by_role("button", name="Log in").click()
    await fill_hosted_login(store)
    await expect(store.locator("#items li").first).to_be_visible()
    store_jwt = (await jar(shopper))[(STORE, "app_jwt")]["value"]

    # The administrator signs in through the hosted login and lands on the overview.
    office = await browser.new_context(viewport=DESKTOP)
    page = await office.new_page()
    watch(page, problems)
    await sign_in(page, console_url, ADMIN_EMAIL, stack.admin_password)
    await expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    session_cookie = (await jar(office)).get((f"idp.{cfg.domain}", "authgate.admin"))
    assert session_cookie and session_cookie["httpOnly"] and session_cookie["sameSite"] == "Strict"
    await shot(page, "overview")
    await page.keyboard.press("Tab")  # keyboard users get the skip link first
    assert await page.evaluate("document.activeElement.textContent") == "Skip to content"

    # Create an application.
    await page.get_by_role("link", name="Applications").first.click()
    await page.get_by_role("link", name="New application").click()
    await page.get_by_label("Name", exact=True).fill("Warehouse <b>")
    await page.get_by_label("Redirect URIs").fill("https://warehouse.example/callback")
    await page.get_by_label("CORS origins").fill("https://warehouse.example")
    await shot(page, "application-form")
    await page.get_by_role("button", name="Create application").click()
    await expect(page.get_by_role("heading", name="Application created")).to_be_visible()
    secret = (await page.locator("#secret-value").text_content() or "").strip()
    assert len(secret) >= 32
    await page.get_by_role("link", name="Done").click()
    await expect(page.get_by_role("heading", name="Warehouse <b>")).to_be_visible()  # text, not markup
    app_id = (await page.locator("#client-id").text_content() or "").strip()
    stored = await stack.registry.db.applications.get(app_id)
    assert stored["doc"]["oauthConfiguration"]["authorizedRedirectURLs"] == ["https://warehouse.example/callback"]

    # Create a user, lock and unlock them: the login API refuses in between.
    await page.get_by_role("link", name="Users").first.click()
    await page.get_by_role("link", name="New user").click()
    await page.get_by_label("Email").fill("clerk@example.com")
    await page.get_by_label("First name").fill("Clerk")
    await page.get_by_label("Password").fill("a long clerk password")
    await page.get_by_role("button", name="Create user").click()
    await expect(page.get_by_role("status")).to_have_text("User created.")
    async with stack.http("idp") as idp:
        login = {"loginId": "clerk@example.com", "password": "a long clerk password"}
        assert (await idp.post("/api/login", json=login)).status_code == 200
        await page.get_by_role("button", name="Lock").click()
        await expect(page.locator("#user-state")).to_contain_text("locked")
        assert (await idp.post("/api/login", json=login)).status_code == 409
        await shot(page, "user-locked")
        await page.get_by_role("button", name="Unlock").click()
        await expect(page.get_by_role("status")).to_have_text("User unlocked.")
        assert (await idp.post("/api/login", json=login)).status_code == 200

    # End Richard's session: the Store logs out at its next refresh.
    await page.get_by_role("link", name="Users").first.click()
    await page.get_by_role("searchbox").fill("richard")
    await page.get_by_role("button", name="Search").click()
    await page.get_by_role("link", name="richard@example.com").click()
    await expect(page.get_by_role("button", name="End session")).to_have_count(1)
    await shot(page, "user-sessions")
    await page.get_by_role("button", name="End session").click()
    await expect(page.get_by_role("status")).to_have_text("Session ended.")
    await wait_past(claims(store_jwt)["exp"])  # the Store's own JWT dies; its refresh token is revoked
    await store.get_by_role("button", name="Reload").click()
    await expect(store.get_by_role("button", name="Log in")).to_be_visible()
    await expect(store.locator("#event-log")).to_contain_text("The session ended")
    assert [s.status for s in stack.requests("store", "/api/refresh")][-1] != 200

    # Rotate the signing key: the new kid is the signing one and is in the JWKS preview.
    await page.get_by_role("link", name="Signing keys").click()
    before = await page.locator("td.mono").all_text_contents()
    await page.get_by_role("button", name="Rotate").click()
    await expect(page.get_by_role("status")).to_contain_text("New signing key created")
    after = await page.locator("td.mono").all_text_contents()
    (new_kid,) = set(after) - set(before)
    await expect(page.locator("#jwks")).to_contain_text(new_kid)
    await shot(page, "signing-keys")

    # A webhook to a real receiver; creating a user is delivered and shown with its attempt.
    await page.get_by_role("link", name="Webhooks").click()
    await page.get_by_role("link", name="New webhook").click()
    await page.get_by_label("URL").fill(receiver.url)
    await page.get_by_label("user.create").check()
    await page.get_by_role("button", name="Create webhook").click()
    await expect(page.get_by_role("status")).to_have_text("Webhook created.")
    hook_url = page.url.split("?")[0]
    async with stack.http("idp") as idp:
        r = await idp.post("/api/user", json={"user": {"email": "hooked@example.com", "password": "a long hook password"}},
                           headers={"Authorization": stack.api_key})
        assert r.status_code == 200, r.text
    await until(lambda: any(x.event["type"] == "user.create" for x in receiver.received), "the webhook delivery")
    for _ in range(50):
        await page.goto(hook_url)
        if await page.locator("tr.delivery .badge.good").count():
            break
        await asyncio.sleep(0.2)
    await expect(page.locator("tr.delivery").first).to_contain_text("delivered")
    await expect(page.locator("tr.delivery").first).to_contain_text("200")
    await shot(page, "webhook-deliveries")

    # An API key: its value is shown once, and it works.
    await page.get_by_role("link", name="API keys").click()
    await page.get_by_label("Description").fill("reporting <script>")
    await page.get_by_role("button", name="Create API key").click()
    await expect(page.get_by_role("heading", name="API key created")).to_be_visible()
    value = (await page.locator("#secret-value").text_content() or "").strip()
    async with stack.http("idp") as idp:
        assert (await idp.get("/api/webhook", headers={"Authorization": value})).status_code == 200
    await page.get_by_role("link", name="Done").click()
    await expect(page.locator("table")).to_contain_text("reporting <script>")  # text, not markup
    assert value not in await page.content()

    # The login records list the logins above (Clerk's, through the Login API).
    await page.get_by_role("link", name="Logins", exact=True).click()
    await expect(page.get_by_role("heading", name="Login records")).to_be_visible()
    await expect(page.locator("table")).to_contain_text("clerk@example.com")
    await shot(page, "login-records")

    # The audit log names the administrator for what was done here.
    await page.get_by_role("link", name="Audit log").click()
    await expect(page.locator("table")).to_contain_text(f"admin:{ADMIN_EMAIL}")
    await expect(page.locator("table")).to_contain_text("user.update")
    await shot(page, "audit-log")

    # Phone width: the same pages stay usable (no horizontal page scroll).
    await page.set_viewport_size(PHONE)
    for path, name in (("/admin/users", "phone-users"), ("/admin/", "phone-overview")):
        await page.goto(cfg.idp_url + path)
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), path
        await shot(page, name)

    # Richard is no administrator: 403.
    visitor = await browser.new_context(viewport=DESKTOP)
    other = await visitor.new_page()
    await sign_in(other, console_url, "richard@example.com", "password")
    await expect(other.get_by_role("heading", name="Not an administrator")).to_be_visible()
    for path in PAGES:
        response = await other.goto(cfg.idp_url + path)
        assert response is not None and response.status == 403, path
    await shot(other, "non-admin-403")

    assert not problems, problems
    assert re.fullmatch(r"[0-9a-f-]{36}", app_id)
    for context in (shopper, office, visitor):
        await context.close()
