"""Multi-factor and passkeys in Chromium against the real IdP (the demo stack, code-pkce-cookie):
enrol an authenticator app and a passkey on the account page, log in with each, log in with the
passkey alone, and get the second-factor page inside an SSO session when `acr_values` asks for
it. The passkey lives in Chrome DevTools' virtual authenticator (CDP WebAuthn.*: CTAP2, internal
transport, resident keys, user verification). Also: the native-login Store's code field after a
242. Screenshots go to test-artifacts/mfa/ (a copy is in docs/screenshots/ for the README).
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import pyotp
import pytest
from playwright.async_api import expect

from authgate.mfa import factors, totp
from authgate_demo.attacks.passkey import add_authenticator, credentials

from .harness import EXPECT_TIMEOUT, STORE_ID, RecordingStack, Shots, fill_hosted_login, running_stack, until

pytestmark = pytest.mark.e2e
CART_FIRST = "2 x Earl Grey tea, 100 g"
MFA = "urn:authgate:acr:mfa"

expect.set_options(timeout=EXPECT_TIMEOUT)


async def fresh_code(secret: str, used: set[int]) -> str:
    """The app's current code, from a time step no earlier code used (codes are accepted once)."""
    while int(time.time()) // 30 in used:
        await asyncio.sleep(0.5)
    step = int(time.time()) // 30
    used.add(step)
    return pyotp.TOTP(secret).at(step * 30)


async def presence(cdp: Any, authenticator: str, on: bool) -> None:
    """Whether the virtual authenticator answers at once (a touch) or waits."""
    await cdp.send("WebAuthn.setAutomaticPresenceSimulation", {"authenticatorId": authenticator, "enabled": on})


async def store_login(page: Any, stack: RecordingStack) -> None:
    await page.goto(stack.cfg.store_url + "/")
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_label("Email or username")).to_be_visible()


def step_up_url(stack: RecordingStack) -> str:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return stack.cfg.idp_url + "/oauth2/authorize?" + urlencode({
        "client_id": STORE_ID, "redirect_uri": stack.cfg.store_url + "/api/oauth-callback", "response_type": "code",
        "scope": "openid", "state": "step-up", "code_challenge": challenge, "code_challenge_method": "S256",
        "acr_values": MFA})


async def test_enrol_totp_and_passkey_then_log_in_with_each(browser: Any, tmp_path: Any) -> None:
    shot = Shots("mfa")
    async with running_stack(tmp_path, "code-pkce-cookie", jwt_ttl=120) as stack:
        context = await browser.new_context()
        page = await context.new_page()
        cdp, authenticator = await add_authenticator(context, page)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))

        # Signed in with the password: the SSO session records only `pwd`.
        await store_login(page, stack)
        await shot(page, "login-page-with-passkey-button")
        await fill_hosted_login(page)
        await expect(page.locator("#items li").first).to_have_text(CART_FIRST)

        # The account page: an authenticator app, confirmed with its current code.
        await page.goto(stack.cfg.idp_url + "/account/mfa")
        await expect(page.get_by_role("heading", name="Sign-in security")).to_be_visible()
        await page.get_by_role("button", name="Set up an authenticator app").click()
        await expect(page.locator("svg.qr")).to_be_visible()
        await shot(page, "account-totp-qr-code")
        secret = (await page.locator("#totp-secret").inner_text()).strip()
        used: set[int] = set()
        await page.get_by_label("Code shown by the app").fill(await fresh_code(secret, used))
        await page.get_by_role("button", name="Turn on").click()
        await expect(page.locator("#recovery-codes li")).to_have_count(10)
        await shot(page, "account-recovery-codes-shown-once")

        # A passkey, registered through the page's ES module and the virtual authenticator.
        await page.goto(stack.cfg.idp_url + "/account/mfa")
        await page.get_by_label("Name for the new passkey").fill("Laptop")
        await page.get_by_role("button", name="Add a passkey").click()
        await expect(page.get_by_text("Your passkey was added.")).to_be_visible()
        await expect(page.get_by_label("Passkey name")).to_have_value("Laptop")
        held = await credentials(cdp, authenticator)
        assert len(held) == 1 and held[0]["rpId"] == "idp.authgate.localhost" and held[0]["isResidentCredential"]
        await shot(page, "account-passkey-listed")

        # Step-up: the session had only a password; acr_values asks for more -> the second-factor
        # page, not the password form; the passkey answers it.
        await page.goto(step_up_url(stack))
        await expect(page.get_by_role("heading", name="Confirm it's you")).to_be_visible()
        assert await page.get_by_label("Password").count() == 0
        await shot(page, "step-up-second-factor-page-inside-sso")
        posts = len(stack.requests("idp", "/oauth2/authorize", "POST"))
        await page.get_by_role("button", name="Use a passkey").click()
        await until(lambda: len(stack.requests("idp", "/oauth2/authorize", "POST")) > posts
                    and stack.requests("idp", "/oauth2/authorize", "POST")[-1].status is not None, "the passkey's form post")
        answer = stack.requests("idp", "/oauth2/authorize", "POST")[-1]
        assert answer.status == 303 and "code=" in (answer.response_header("location") or "")
        [session] = await stack.registry.db.sso_sessions.live_for_user(stack.user_id)  # the old one ended
        assert session["amr"].split() == ["hwk", "mfa", "pwd", "user"]

        # Log in with the password and the authenticator app, in a browser with no passkey.
        other = await browser.new_context()
        page2 = await other.new_page()
        await store_login(page2, stack)
        await fill_hosted_login(page2)
        await expect(page2.get_by_label("Code from your authenticator app")).to_be_visible()
        await shot(page2, "second-factor-page-after-password")
        await page2.get_by_label("Code from your authenticator app").fill(await fresh_code(secret, used))
        await page2.get_by_role("button", name="Verify code").click()
        await expect(page2.locator("#items li").first).to_have_text(CART_FIRST)
        await other.close()

        # Log in with the password and the passkey as the second factor. The login page's
        # conditional UI would sign in with the passkey at once, so the authenticator waits for
        # "presence" (a touch) until the second-factor page, where the button asks for the key.
        await presence(cdp, authenticator, False)
        await context.clear_cookies()
        await store_login(page, stack)
        await fill_hosted_login(page)
        await expect(page.get_by_role("button", name="Use a passkey")).to_be_visible()
        await presence(cdp, authenticator, True)
        await page.get_by_role("button", name="Use a passkey").click()
        await expect(page.locator("#items li").first).to_have_text(CART_FIRST)
        live = (await stack.registry.db.sso_sessions.live_for_user(stack.user_id))[-1]  # the newest
        assert live["amr"].split() == ["hwk", "mfa", "pwd", "user"]

        # Passwordless through conditional UI: the login page's autofill request (autocomplete=
        # "username webauthn") is answered by the passkey alone (discoverable, user verified):
        # no password, no click on the IdP's page. (The "Sign in with a passkey" button runs the
        # same module code as "Use a passkey" above.)
        await context.clear_cookies()
        await page.goto(stack.cfg.store_url + "/")
        await page.get_by_role("button", name="Log in").click()
        await expect(page.locator("#items li").first).to_have_text(CART_FIRST)
        await shot(page, "signed-in-with-passkey-alone")
        live = (await stack.registry.db.sso_sessions.live_for_user(stack.user_id))[-1]
        assert live["amr"].split() == ["hwk", "mfa", "user"]
        assert stack.requests("idp", "/oauth2/authorize", "POST")[-1].status == 303
        assert not errors, errors
        await context.close()


async def test_native_store_asks_for_the_code_after_242(browser: Any, tmp_path: Any) -> None:
    shot = Shots("mfa")
    async with running_stack(tmp_path, "native-refresh-cookie", jwt_ttl=120) as stack:
        secret = totp.new_secret()
        step = int(time.time()) // 30
        await factors.enable_totp(stack.registry, stack.user_id, secret, totp.code_at(secret, step))
        context = await browser.new_context()
        page = await context.new_page()
        await page.goto(stack.cfg.store_url + "/")
        await page.get_by_label("Email").fill("richard@example.com")
        await page.get_by_label("Password").fill("password")
        await page.locator("#login-form button[type=submit]").click()
        code_field = page.locator("#two-factor-form input[name=code]")
        await expect(code_field).to_be_visible()
        await code_field.fill("000000" if totp.code_at(secret, step + 1) != "000000" else "111111")
        await page.locator("#two-factor-form button[type=submit]").click()
        await expect(page.locator("#two-factor-error")).to_contain_text("Wrong code")
        while int(time.time()) // 30 <= step:
            await asyncio.sleep(0.5)
        await code_field.fill(totp.code_at(secret, int(time.time()) // 30))
        await shot(page, "native-store-code-field-after-242")
        await page.locator("#two-factor-form button[type=submit]").click()
        await expect(page.locator("#items li").first).to_have_text(CART_FIRST)
        await context.close()
